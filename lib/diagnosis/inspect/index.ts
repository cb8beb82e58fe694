// `aio-notify inspect <pid>`: a non-intrusive look at a live, possibly stuck process. It
// never signals, stops or ptrace-attaches the target: everything comes from /proc (threads,
// their system calls and wait channels, descriptors and fdinfo, /proc/<pid>/mem for poll
// arrays and timeouts) and from pidfd_getfd duplicates polled with a zero timeout.
//
// It samples a few times and flags only what holds in every sample:
//  - an eventfd with a pending count that no parked thread watches (a stale fd set: the
//    enable_external hang of QEMU 321d1dba8b);
//  - a thread parked with an infinite timeout while a descriptor it watches is ready (a
//    wake-up that never arrived: a lost edge of an edge-triggered epoll, a stopped waker);
//  - an aio-notify context (found through its state beacon) asleep with work pending:
//    lost (no kick reached it) or late (a kick is in flight).
import { statSync } from 'node:fs';
import { INT32_MAX, validateInteger, validateOptions } from '../../validate';
import { StallReport } from '../stall';
import { anyExternalDisabled, ContextView, readContexts } from './contexts';
import { accessError, noSuchProcess } from './errors';
import { FdEntry, fdInfo, FdKind, listFds, processStatus, taskIds } from './procfs';
import { RemoteFds } from './remote-fds';
import { RemoteMemory } from './remote-memory';
import { kernelArch, KernelArch } from './syscalls';
import { epollMembers, pollsFds, readThread, ThreadWait, Timeout, Watched } from './threads';

export const INSPECT_SCHEMA_VERSION = 1;

export interface InspectOptions {
  /** Samples to take (default 3). */
  samples?: number;
  /** Time between samples (default 100 ms). */
  intervalMs?: number;
  /** How long a context may sleep with work pending before it is a stall (default 500 ms). */
  stallMs?: number;
}

export interface WatchedView extends Watched {
  kind: FdKind | 'closed';
  /** Ready now for the watched events; null when that cannot be known. */
  ready: boolean | null;
  /** For eventfds, the counter (decimal string). */
  eventfdCount: string | null;
}

export interface ThreadView extends Omit<ThreadWait, 'watched'> {
  watched: WatchedView[];
  /** Blocked in a waiting system call with no timeout. */
  parkedInfinite: boolean;
}

export interface FdView {
  fd: number;
  kind: FdKind;
  link: string;
  eventfdCount: string | null;
  /** Threads whose current wait (directly or through epoll) includes this fd. */
  watchedBy: number[];
  /** epoll instances of the process it is registered in (armed), whoever waits on them. */
  inEpoll: number[];
}

export type FindingKind = 'unwatched-eventfd' | 'ready-not-woken' | 'context-lost' | 'context-late';

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  kind: FindingKind;
  message: string;
  tid?: number;
  fd?: number;
}

export interface InspectReport {
  schemaVersion: number;
  pid: number;
  name: string;
  kernelArch: KernelArch;
  inspectedAt: string;
  samples: number;
  intervalMs: number;
  /** The last sample. */
  threads: ThreadView[];
  fds: FdView[];
  contexts: ContextView[];
  findings: Finding[];
  /** True when any finding is an error. */
  flagged: boolean;
  warnings: string[];
}

interface Sample {
  threads: ThreadView[];
  fds: FdView[];
  contexts: ContextView[];
}

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

function takeSample(pid: number, arch: KernelArch, mem: RemoteMemory | null, remote: RemoteFds, stallMs: number): Sample {
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
  const threads: ThreadView[] = waits.map((t) => {
    const parked = t.status === 'syscall' && t.state !== 'R';
    return {
      ...t,
      parkedInfinite: isParkedInfinite(t),
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
  return { threads, fds, contexts };
}

function describeTimeout(t: Timeout | null): string {
  if (!t) return 'an unknown timeout';
  if (t.infinite) return 'no timeout';
  return t.ns === null ? 'a deadline' : `a ${(t.ns / 1e6).toFixed(1)} ms timeout`;
}

function findings(samples: Sample[]): Finding[] {
  const out: Finding[] = [];
  const last = samples[samples.length - 1];
  const externalOff = anyExternalDisabled(last.contexts);

  // An eventfd with a pending count that no thread waits on and no epoll set holds, in
  // every sample.
  for (const f of last.fds) {
    if (f.kind !== 'eventfd') continue;
    const persistent = samples.every((s) => {
      const v = s.fds.find((x) => x.fd === f.fd);
      // Registered in an epoll set counts as watched: that loop's thread may be running now.
      return v !== undefined && v.eventfdCount !== null && v.eventfdCount !== '0' && v.watchedBy.length === 0 && v.inEpoll.length === 0;
    });
    if (!persistent) continue;
    const owner = last.contexts.find((c) => c.valid && c.eventfd === f.fd);
    if (owner && owner.report?.cause === 'running') continue; // its home thread is busy, not parked
    out.push({
      severity: externalOff ? 'info' : 'error',
      kind: 'unwatched-eventfd',
      fd: f.fd,
      message:
        `eventfd ${f.fd} holds ${f.eventfdCount} pending wake-up(s) and no parked thread polls it` +
        (externalOff
          ? ' (external clients are disabled in a context: expected while they are)'
          : ': a poller sleeps on a stale fd set (as in QEMU 321d1dba8b), or nobody will ever read it'),
    });
  }

  // A thread parked with no timeout although something it watches is ready, in every sample.
  for (const t of last.threads) {
    if (!t.parkedInfinite || !pollsFds(t.kind)) continue;
    const same = samples.every((s) => s.threads.some((x) => x.tid === t.tid && x.line === t.line && x.parkedInfinite));
    if (!same) continue;
    const readyFds = t.watched.filter(
      (w) => w.ready === true && samples.every((s) => s.threads.find((x) => x.tid === t.tid)?.watched.some((y) => y.fd === w.fd && y.ready === true)),
    );
    if (readyFds.length === 0) continue;
    const et = readyFds.some((w) => w.edgeTriggered);
    out.push({
      severity: 'error',
      kind: 'ready-not-woken',
      tid: t.tid,
      fd: readyFds[0].fd,
      message:
        `thread ${t.tid} (${t.comm}) is parked in ${t.syscall} with ${describeTimeout(t.timeout)} while ` +
        `${readyFds.map((w) => `fd ${w.fd} (${w.kind}${w.via !== null ? ` via epoll ${w.via}` : ''})`).join(', ')} ` +
        `${readyFds.length > 1 ? 'are' : 'is'} ready` +
        (et ? ': an edge-triggered registration whose edge was consumed (a lost edge)' : ': a wake-up that never arrived'),
    });
  }

  // aio-notify contexts asleep with work pending.
  for (const c of last.contexts) {
    const r: StallReport | null = c.report;
    if (!c.valid || !r || r.verdict === 'ok') continue;
    const persistent = samples.every((s) => s.contexts.some((x) => x.beaconFd === c.beaconFd && x.report?.verdict === r.verdict));
    if (!persistent) continue;
    out.push({
      severity: r.verdict === 'lost' ? 'error' : 'warning',
      kind: r.verdict === 'lost' ? 'context-lost' : 'context-late',
      tid: c.homeTid,
      fd: c.eventfd,
      message:
        `${c.kind} "${c.label}": home thread ${c.homeTid} asleep ${r.asleepMs.toFixed(0)} ms with ` +
        `${r.pending.map((p) => p.detail).join('; ')}: ${r.verdict.toUpperCase()} wake-up (${r.cause}): ${r.explanation}`,
    });
  }
  return out;
}

/** Inspects process `pid`. Rejects with ESRCH (no such process) or EACCES (no permission, with a hint). */
export async function inspect(pid: number, options?: InspectOptions): Promise<InspectReport> {
  validateInteger(pid, 'pid', 1, INT32_MAX);
  const o = validateOptions<InspectOptions>(options);
  const samples = o.samples === undefined ? 3 : validateInteger(o.samples, 'options.samples', 1, 100);
  const intervalMs = o.intervalMs === undefined ? 100 : validateInteger(o.intervalMs, 'options.intervalMs', 0, 60000);
  const stallMs = o.stallMs === undefined ? 500 : validateInteger(o.stallMs, 'options.stallMs', 0, 3600000);
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
  const warnings: string[] = [];
  let mem: RemoteMemory | null = null;
  try {
    mem = new RemoteMemory(pid);
  } catch (error) {
    warnings.push(`/proc/${pid}/mem is not readable (${(error as Error).message}): poll arrays and timeouts unknown`);
  }
  const remote = new RemoteFds(pid);
  const arch = kernelArch();
  const taken: Sample[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      if (i > 0) await sleep(intervalMs);
      try {
        taken.push(takeSample(pid, arch, mem, remote, stallMs));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ESRCH') throw noSuchProcess(pid);
        throw error;
      }
    }
  } finally {
    mem?.close();
    remote.close();
  }
  if (remote.unavailable) warnings.push(`readiness of pipes and sockets unknown: ${remote.unavailable}`);
  const last = taken[taken.length - 1];
  const found = findings(taken);
  return {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    pid,
    name,
    kernelArch: arch,
    inspectedAt: new Date().toISOString(),
    samples,
    intervalMs,
    threads: last.threads,
    fds: last.fds,
    contexts: last.contexts,
    findings: found,
    flagged: found.some((f) => f.severity === 'error'),
    warnings,
  };
}
