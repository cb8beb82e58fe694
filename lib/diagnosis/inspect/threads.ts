// What one thread of another process is doing: running, or parked in which system call,
// with which timeout, watching which descriptors. Read from /proc/<pid>/task/<tid>/{stat,
// syscall,wchan}, the poll arrays and timeouts from /proc/<pid>/mem, epoll sets from
// /proc/<pid>/fdinfo/<epfd>.
import { fdInfo, parseSyscallLine, SyscallState, taskStat, taskWchan } from './procfs';
import { RemoteMemory } from './remote-memory';
import { KernelArch, syscallEntry, WaitKind } from './syscalls';
import { readFileSync } from 'node:fs';

export const EPOLLET = 0x80000000;
export const EPOLLONESHOT = 0x40000000;
/** The poll(2)-compatible low bits of an epoll event mask. */
const EPOLL_POLL_BITS = 0xffff;
const MAX_POLLFDS = 4096;

export interface Watched {
  fd: number;
  /** poll(2) events (for epoll members: the registration's low bits). */
  events: number;
  /** The epoll descriptor it is registered in, or null when polled directly. */
  via: number | null;
  edgeTriggered: boolean;
}

export interface Timeout {
  infinite: boolean;
  /** The timeout as passed, in ns (null when infinite). */
  ns: number | null;
  /** A deadline on a clock rather than a duration (FUTEX_WAIT_BITSET, TIMER_ABSTIME). */
  absolute: boolean;
}

export interface ThreadWait {
  tid: number;
  comm: string;
  /** /proc state letter: R running, S sleeping, D uninterruptible, T stopped, t traced, Z zombie. */
  state: string;
  wchan: string;
  /** 'syscall': blocked in a system call; 'running': on a CPU; 'user': off-CPU outside a syscall. */
  status: SyscallState['status'];
  syscall: string | null;
  kind: WaitKind | null;
  /** The raw syscall line: the same line in two samples is the same call. */
  line: string;
  /** null: unknown (unreadable or not a waiting call). */
  timeout: Timeout | null;
  watched: Watched[];
  /** Why part of the picture is missing, if it is. */
  note: string | null;
}

const INFINITE: Timeout = { infinite: true, ns: null, absolute: false };

function relative(ns: number): Timeout {
  return { infinite: false, ns, absolute: false };
}

function int32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** Members of epoll set `epfd` (one level of nesting expanded). */
export function epollMembers(pid: number, epfd: number, depth = 0): Watched[] {
  let targets;
  try {
    targets = fdInfo(pid, epfd).epollTargets ?? [];
  } catch {
    return [];
  }
  const out: Watched[] = [];
  for (const t of targets) {
    out.push({ fd: t.fd, events: t.events & EPOLL_POLL_BITS, via: epfd, edgeTriggered: (t.events & EPOLLET) !== 0 });
    if (depth === 0) {
      try {
        if (fdInfo(pid, t.fd).epollTargets) out.push(...epollMembers(pid, t.fd, depth + 1));
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

function pollfds(mem: RemoteMemory, address: bigint, nfds: number): Watched[] {
  const n = Math.min(nfds, MAX_POLLFDS);
  if (n <= 0 || address === 0n) return [];
  const b = mem.read(address, n * 8);
  const out: Watched[] = [];
  for (let i = 0; i < n; i++) {
    const fd = b.readInt32LE(8 * i);
    if (fd >= 0) out.push({ fd, events: b.readUInt16LE(8 * i + 4), via: null, edgeTriggered: false });
  }
  return out;
}

function fdSet(mem: RemoteMemory, address: bigint, nfds: number, events: number): Watched[] {
  if (address === 0n || nfds <= 0) return [];
  const n = Math.min(nfds, 65536);
  const b = mem.read(address, Math.ceil(n / 64) * 8);
  const out: Watched[] = [];
  for (let fd = 0; fd < n; fd++) {
    if (b[fd >> 3] & (1 << (fd & 7))) out.push({ fd, events, via: null, edgeTriggered: false });
  }
  return out;
}

function timespecAt(mem: RemoteMemory | null, address: bigint, micro = false): Timeout | null {
  if (address === 0n) return INFINITE;
  if (!mem) return null;
  return relative(mem.readTimespecNs(address, micro));
}

const POLLIN = 0x1;
const POLLOUT = 0x4;

/** Decodes the wait of a thread blocked in `sc` (its fds and timeout). */
function decodeWait(pid: number, kind: WaitKind, a: bigint[], mem: RemoteMemory | null): Pick<ThreadWait, 'timeout' | 'watched'> {
  const need = (): RemoteMemory => {
    if (!mem) throw new Error('process memory is not readable');
    return mem;
  };
  switch (kind) {
    case 'ppoll':
      return { watched: pollfds(need(), a[0], Number(a[1])), timeout: timespecAt(mem, a[2]) };
    case 'poll': {
      const ms = int32(a[2]);
      return { watched: pollfds(need(), a[0], Number(a[1])), timeout: ms < 0 ? INFINITE : relative(ms * 1e6) };
    }
    case 'epoll_wait': {
      const ms = int32(a[3]);
      return { watched: epollMembers(pid, Number(a[0])), timeout: ms < 0 ? INFINITE : relative(ms * 1e6) };
    }
    case 'epoll_pwait2':
      return { watched: epollMembers(pid, Number(a[0])), timeout: timespecAt(mem, a[3]) };
    case 'select':
    case 'pselect6': {
      const m = need();
      const n = Number(a[0]);
      return {
        watched: [...fdSet(m, a[1], n, POLLIN), ...fdSet(m, a[2], n, POLLOUT)],
        timeout: timespecAt(mem, a[4], kind === 'select'),
      };
    }
    case 'futex': {
      const op = Number(a[1] & 0x7fn);
      // FUTEX_WAIT (0) takes a duration, FUTEX_WAIT_BITSET (9) and the PI waits a deadline.
      if (a[3] === 0n) return { watched: [], timeout: INFINITE };
      if (op === 0 && mem) return { watched: [], timeout: relative(mem.readTimespecNs(a[3])) };
      return { watched: [], timeout: { infinite: false, ns: null, absolute: true } };
    }
    case 'read':
    case 'socket':
      return { watched: [{ fd: Number(a[0]), events: POLLIN, via: null, edgeTriggered: false }], timeout: INFINITE };
    case 'sigwait':
      return { watched: [], timeout: a[2] === 0n ? INFINITE : timespecAt(mem, a[2]) };
    case 'nanosleep':
      return { watched: [], timeout: timespecAt(mem, a[0]) };
    case 'clock_nanosleep': {
      const t = timespecAt(mem, a[2]);
      return { watched: [], timeout: t && (Number(a[1]) & 1) ? { ...t, absolute: true } : t };
    }
    case 'wait':
      return { watched: [], timeout: INFINITE };
    default:
      return { watched: [], timeout: null };
  }
}

/** One thread, now. Throws (Node-style fs errors) when its /proc files are unreadable. */
export function readThread(pid: number, tid: number, arch: KernelArch, mem: RemoteMemory | null): ThreadWait {
  const stat = taskStat(pid, tid);
  const line = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').trim();
  const sc = parseSyscallLine(line);
  const base: ThreadWait = {
    tid,
    comm: stat.comm,
    state: stat.state,
    wchan: taskWchan(pid, tid),
    status: sc.status,
    syscall: null,
    kind: null,
    line,
    timeout: null,
    watched: [],
    note: null,
  };
  if (sc.status !== 'syscall') return base;
  const entry = syscallEntry(arch, sc.nr);
  base.syscall = entry.name;
  base.kind = entry.kind;
  try {
    Object.assign(base, decodeWait(pid, entry.kind, sc.args, mem));
  } catch (error) {
    base.note = `could not decode ${entry.name}: ${(error as Error).message}`;
  }
  return base;
}

/** Kinds of wait whose watched descriptors wake the thread when ready. */
export function pollsFds(kind: WaitKind | null): boolean {
  return kind === 'ppoll' || kind === 'poll' || kind === 'epoll_wait' || kind === 'epoll_pwait2' || kind === 'select' || kind === 'pselect6';
}
