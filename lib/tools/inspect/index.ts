// `aio-notify inspect <pid>`: a non-intrusive look at a live, possibly stuck process. It
// never signals, stops or ptrace-attaches the target: everything comes from /proc (threads,
// their system calls and wait channels, descriptors and fdinfo, /proc/<pid>/mem for poll
// arrays, futex words and timeouts) and from pidfd_getfd duplicates polled with a zero
// timeout. It samples for at least the stall threshold (or as long as --watch says) and
// judges the samples with the rules of ./verdicts.ts.
import { performance } from 'node:perf_hooks';
import { statSync } from 'node:fs';
import { INT32_MAX, validateFunction, validateInteger, validateOptions } from '../../validate';
import { readContexts } from './contexts';
import { accessError, noSuchProcess } from './errors';
import { FdEntry, fdInfo, listFds, processStatus, taskIds, taskStat } from './procfs';
import { RemoteFds } from './remote-fds';
import { RemoteMemory } from './remote-memory';
import { programKind, ProgramKind, qemuRole } from './roles';
import { kernelArch, KernelArch } from './syscalls';
import { epollMembers, pollsFds, readThread, ThreadWait } from './threads';
import { FdView, FutexWordView, INSPECT_SCHEMA_VERSION, InspectReport, Sample, ThreadView } from './report';
import { judge } from './verdicts';

export { INSPECT_SCHEMA_VERSION } from './report';
export type { Finding, FindingKind, FindingVerdict, FdView, InspectReport, ThreadView, WatchedView } from './report';

export interface InspectOptions {
  /** Samples to take (default: enough to span the stall threshold, or the watch). */
  samples?: number;
  /** Time between samples (default 100 ms). */
  intervalMs?: number;
  /** How long a wait with work pending is tolerated before it is a stall (default 500 ms). */
  stallMs?: number;
  /** Sample for this long (ms) to gather evidence: an eventfd's count growing, an fd dropping out of a set. */
  watchMs?: number;
  /** Called after each sample (progress; tests act on the target between samples). Awaited. */
  onSample?: (taken: number, total: number) => void | Promise<void>;
}

const MAX_SAMPLES = 100_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isParkedInfinite(t: ThreadWait): boolean {
  return t.status === 'syscall' && t.state !== 'R' && t.timeout !== null && t.timeout.infinite;
}

/** Reads one thread, or null if it exited meanwhile. */
function threadOrNull(pid: number, tid: number, arch: KernelArch, mem: RemoteMemory | null): ThreadWait | null {
  try {
    return readThread(pid, tid, arch, mem);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw accessError(error, pid, `/proc/${pid}/task/${tid}/syscall`);
  }
}

/** The futex words a thread sleeps on, with their values now. */
function futexView(t: ThreadWait, mem: RemoteMemory | null): ThreadView['futex'] {
  if (!t.futex) return null;
  const words: FutexWordView[] = t.futex.words.map((w) => {
    let current: number | null = null;
    try {
      if (mem) current = mem.read(BigInt(w.address), 4).readUInt32LE(0);
    } catch {
      // unmapped meanwhile
    }
    return { ...w, current };
  });
  return { op: t.futex.op, words };
}

function takeSample(pid: number, arch: KernelArch, mem: RemoteMemory | null, remote: RemoteFds, stallMs: number, program: ProgramKind): Sample {
  const tids = taskIds(pid);
  const waits = tids.map((tid) => threadOrNull(pid, tid, arch, mem)).filter((t): t is ThreadWait => t !== null);
  let entries: FdEntry[];
  try {
    entries = listFds(pid);
  } catch (error) {
    throw accessError(error, pid, `/proc/${pid}/fd`);
  }
  const byFd = new Map(entries.map((e) => [e.fd, e]));
  const counts = new Map<number, bigint>();
  for (const e of entries) {
    if (e.kind !== 'eventfd') continue;
    try {
      const c = fdInfo(pid, e.fd).eventfdCount;
      if (c !== undefined) counts.set(e.fd, c);
    } catch {
      // closed meanwhile
    }
  }
  const cache = new Map<string, boolean | null>();
  const ready = (fd: number, events: number): boolean | null => {
    if (counts.has(fd)) return (events & 1) !== 0 ? counts.get(fd)! > 0n : false;
    if (!byFd.has(fd)) return null;
    const key = `${fd}:${events}`;
    if (!cache.has(key)) {
      const r = remote.poll(fd, events);
      cache.set(key, r === null ? null : (r & (events | 0x8 | 0x10)) !== 0);
    }
    return cache.get(key)!;
  };
  const atMs = performance.now();
  const threads: ThreadView[] = waits.map((t) => {
    const parked = t.status === 'syscall' && t.state !== 'R';
    return {
      ...t,
      role: program.qemu ? qemuRole(t.comm, t.tid === pid) : null,
      parkedInfinite: isParkedInfinite(t),
      futex: futexView(t, mem),
      watched: t.watched.map((w) => ({
        ...w,
        kind: byFd.get(w.fd)?.kind ?? 'closed',
        // Readiness is only asked of parked pollers: that is where it means "should have woken".
        ready: parked && pollsFds(t.kind) && w.events & 0xffff ? ready(w.fd, w.events) : null,
        eventfdCount: counts.has(w.fd) ? String(counts.get(w.fd)) : null,
      })),
    };
  });
  const armed = new Map<number, number[]>();
  for (const e of entries) {
    if (e.kind !== 'epoll') continue;
    for (const m of epollMembers(pid, e.fd, 1)) {
      if (m.events === 0) continue; // a fired EPOLLONESHOT registration is disarmed
      armed.set(m.fd, [...(armed.get(m.fd) ?? []), e.fd]);
    }
  }
  const fds: FdView[] = entries.map((e) => ({
    fd: e.fd,
    kind: e.kind,
    link: e.link,
    eventfdCount: counts.has(e.fd) ? String(counts.get(e.fd)) : null,
    watchedBy: threads
      .filter((t) => t.status === 'syscall' && (pollsFds(t.kind) || t.kind === 'read') && t.watched.some((w) => w.fd === e.fd))
      .map((t) => t.tid),
    inEpoll: armed.get(e.fd) ?? [],
  }));
  const contexts = readContexts(entries, tids, mem, ready, stallMs);
  return { atMs, threads, fds, contexts };
}

/** True when `pid` has exited and waits to be reaped: its leader is a zombie and no thread is left. */
function isZombie(pid: number): boolean {
  try {
    return taskStat(pid, pid).state === 'Z' && taskIds(pid).length === 1;
  } catch {
    return false;
  }
}

/** How many samples, how far apart: by default they span the stall threshold (or the watch). */
function plan(o: Partial<InspectOptions>): { samples: number; intervalMs: number; stallMs: number } {
  const intervalMs = o.intervalMs === undefined ? 100 : validateInteger(o.intervalMs, 'options.intervalMs', 0, 60000);
  const stallMs = o.stallMs === undefined ? 500 : validateInteger(o.stallMs, 'options.stallMs', 0, 3600000);
  const watchMs = o.watchMs === undefined ? undefined : validateInteger(o.watchMs, 'options.watchMs', 1, 86_400_000);
  if (o.samples !== undefined) return { samples: validateInteger(o.samples, 'options.samples', 1, MAX_SAMPLES), intervalMs, stallMs };
  const span = Math.max(stallMs, watchMs ?? 0);
  const samples = intervalMs === 0 ? 3 : Math.min(MAX_SAMPLES, Math.ceil(span / intervalMs) + 1);
  return { samples: Math.max(samples, 2), intervalMs, stallMs };
}

/** Inspects process `pid`. Rejects with ESRCH (no such process) or EACCES (no permission, with a hint). */
export async function inspect(pid: number, options?: InspectOptions): Promise<InspectReport> {
  validateInteger(pid, 'pid', 1, INT32_MAX);
  const o = validateOptions<InspectOptions>(options);
  const { samples, intervalMs, stallMs } = plan(o);
  const onSample = o.onSample === undefined ? undefined : validateFunction<NonNullable<InspectOptions['onSample']>>(o.onSample, 'options.onSample');
  try {
    statSync(`/proc/${pid}`);
  } catch {
    throw noSuchProcess(pid);
  }
  let name: string;
  try {
    name = processStatus(pid).name;
    // The permission the whole inspection needs: fail early and say so.
    threadOrNull(pid, pid, kernelArch(), null);
  } catch (error) {
    throw accessError(error, pid, `/proc/${pid}/task/${pid}/syscall`);
  }
  const arch = kernelArch();
  const program = programKind(pid, name);
  const base = { schemaVersion: INSPECT_SCHEMA_VERSION, pid, name, kernelArch: arch, program, intervalMs, stallMs };
  if (isZombie(pid)) {
    const ppid = processStatus(pid).ppid;
    return {
      ...base,
      inspectedAt: new Date().toISOString(),
      samples: 0,
      spanMs: 0,
      threads: [],
      fds: [],
      contexts: [],
      findings: [
        {
          severity: 'info',
          verdict: 'benign',
          kind: 'exited',
          message: `process ${pid} (${name}) has exited: it is a zombie that its parent ${ppid} has not reaped yet; nothing in it waits for a wake-up`,
          causes: [],
        },
      ],
      flagged: false,
      warnings: [],
    };
  }
  const warnings: string[] = [];
  let mem: RemoteMemory | null = null;
  try {
    mem = new RemoteMemory(pid);
  } catch (error) {
    warnings.push(`/proc/${pid}/mem is not readable (${(error as Error).message}): poll arrays, futex words and timeouts unknown`);
  }
  const remote = new RemoteFds(pid);
  const taken: Sample[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      if (i > 0) await sleep(intervalMs);
      try {
        taken.push(takeSample(pid, arch, mem, remote, stallMs, program));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ESRCH') throw noSuchProcess(pid);
        throw error;
      }
      await onSample?.(i + 1, samples);
    }
  } finally {
    mem?.close();
    remote.close();
  }
  if (remote.unavailable) warnings.push(`readiness of pipes and sockets unknown: ${remote.unavailable}`);
  const last = taken[taken.length - 1];
  const found = judge(taken, { pid, stallMs, program });
  return {
    ...base,
    inspectedAt: new Date().toISOString(),
    samples,
    spanMs: Math.round(last.atMs - taken[0].atMs),
    threads: last.threads,
    fds: last.fds,
    contexts: last.contexts,
    findings: found,
    flagged: found.some((f) => f.severity === 'error'),
    warnings,
  };
}
