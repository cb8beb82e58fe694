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
  /**
   * Relative timeouts: the duration the call holds, in ns. Absolute deadlines: ns from the
   * moment of reading until the deadline (negative once it has passed), null when its
   * clock is not one we can read.
   */
  ns: number | null;
  /** A deadline on a clock rather than a duration (FUTEX_WAIT_BITSET, TIMER_ABSTIME, futex_waitv). */
  absolute: boolean;
  /**
   * The thread is stopped inside ppoll/pselect6/select: a stop interrupts the call, and the
   * kernel writes the time left back into the caller's timespec before the thread stops, so
   * `ns` is what the call restarts with, not what it first asked for (that value is gone).
   */
  leftAfterStop?: boolean;
}

/** One futex word a thread sleeps on: FUTEX_WAIT sleeps only while *address == expected. */
export interface FutexWord {
  /** Hex address in the target. */
  address: string;
  /** The value the thread went to sleep on (u32). */
  expected: number;
  shared: boolean;
}

/** What a thread parked in futex(2) or futex_waitv(2) waits for. */
export interface FutexWait {
  /** FUTEX_WAIT, FUTEX_WAIT_BITSET, futex_waitv, or another futex operation (PI, requeue). */
  op: 'FUTEX_WAIT' | 'FUTEX_WAIT_BITSET' | 'futex_waitv' | 'other';
  words: FutexWord[];
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
  /** For futex waits: the words and the values it sleeps on. */
  futex: FutexWait | null;
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

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_BOOTTIME = 7;

/** An absolute deadline on `clock`, as the time left until it from now. */
function deadlineAt(mem: RemoteMemory | null, address: bigint, clock: number): Timeout | null {
  if (address === 0n) return INFINITE;
  if (!mem) return null;
  const at = mem.readTimespecNs(address);
  let now: number | null = null;
  // CLOCK_BOOTTIME runs ahead of CLOCK_MONOTONIC by the time suspended: close enough for a label.
  if (clock === CLOCK_MONOTONIC || clock === CLOCK_BOOTTIME) now = Number(process.hrtime.bigint());
  else if (clock === CLOCK_REALTIME) now = Date.now() * 1e6;
  return { infinite: false, ns: now === null ? null : at - now, absolute: true };
}

const POLLIN = 0x1;
const POLLOUT = 0x4;

const FUTEX_WAIT = 0;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
/** futex_waitv(2): struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 reserved; }. */
const WAITV_BYTES = 24;
const FUTEX2_SIZE_MASK = 3;
const FUTEX2_SIZE_U32 = 2;
const FUTEX2_PRIVATE = 128;
const MAX_WAITV = 128;
/** io_uring_enter(2) flags: wait for completions; argp is a struct io_uring_getevents_arg. */
const IORING_ENTER_GETEVENTS = 1;
const IORING_ENTER_EXT_ARG = 8;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function decodeFutex(a: bigint[], mem: RemoteMemory | null): Pick<ThreadWait, 'timeout' | 'watched' | 'futex'> {
  const op = Number(a[1] & 0x7fn);
  const shared = (a[1] & BigInt(FUTEX_PRIVATE_FLAG)) === 0n;
  const word: FutexWord = { address: hex(a[0]), expected: Number(a[2] & 0xffffffffn), shared };
  if (op === FUTEX_WAIT) {
    // A duration (FUTEX_CLOCK_REALTIME is not allowed with FUTEX_WAIT).
    return { watched: [], timeout: a[3] === 0n ? INFINITE : timespecAt(mem, a[3]), futex: { op: 'FUTEX_WAIT', words: [word] } };
  }
  if (op === FUTEX_WAIT_BITSET) {
    const clock = (a[1] & BigInt(FUTEX_CLOCK_REALTIME)) !== 0n ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    return { watched: [], timeout: deadlineAt(mem, a[3], clock), futex: { op: 'FUTEX_WAIT_BITSET', words: [word] } };
  }
  // PI locks and requeues: the word is a lock owner, not a wake-up condition.
  return { watched: [], timeout: a[3] === 0n ? INFINITE : { infinite: false, ns: null, absolute: true }, futex: { op: 'other', words: [] } };
}

function decodeFutexWaitv(a: bigint[], mem: RemoteMemory): Pick<ThreadWait, 'timeout' | 'watched' | 'futex'> {
  const n = Math.min(Number(a[1]), MAX_WAITV);
  const b = n > 0 ? mem.read(a[0], n * WAITV_BYTES) : Buffer.alloc(0);
  const words: FutexWord[] = [];
  for (let i = 0; i < n; i++) {
    const flags = b.readUInt32LE(i * WAITV_BYTES + 16);
    if ((flags & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32) continue; // only 32-bit words exist today
    words.push({
      address: hex(b.readBigUInt64LE(i * WAITV_BYTES + 8)),
      expected: Number(b.readBigUInt64LE(i * WAITV_BYTES) & 0xffffffffn),
      shared: (flags & FUTEX2_PRIVATE) === 0,
    });
  }
  return { watched: [], timeout: deadlineAt(mem, a[3], Number(a[4])), futex: { op: 'futex_waitv', words } };
}

/** io_uring_enter(fd, to_submit, min_complete, flags, argp, argsz): a wait only with GETEVENTS. */
function decodeIoUring(a: bigint[], mem: RemoteMemory | null): Pick<ThreadWait, 'timeout' | 'watched'> {
  const flags = Number(a[3]);
  if ((flags & IORING_ENTER_GETEVENTS) === 0 || a[2] === 0n) return { watched: [], timeout: null };
  if ((flags & IORING_ENTER_EXT_ARG) === 0 || a[4] === 0n) return { watched: [], timeout: INFINITE };
  if (!mem) return { watched: [], timeout: null };
  // struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 pad; u64 ts; }
  return { watched: [], timeout: timespecAt(mem, mem.read(a[4], 24).readBigUInt64LE(16)) };
}

/** Decodes the wait of a thread blocked in `sc` (its fds, futex words and timeout). */
function decodeWait(pid: number, kind: WaitKind, a: bigint[], mem: RemoteMemory | null): Partial<ThreadWait> {
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
    case 'futex':
      return decodeFutex(a, mem);
    case 'futex_waitv':
      return decodeFutexWaitv(a, need());
    case 'read':
    case 'socket':
      return { watched: [{ fd: Number(a[0]), events: POLLIN, via: null, edgeTriggered: false }], timeout: INFINITE };
    case 'sigsuspend':
      // rt_sigsuspend(mask, sigsetsize) and pause(): until a signal, with no timeout argument.
      return { timeout: INFINITE };
    case 'sigwait':
      // rt_sigtimedwait(set, info, timeout, sigsetsize)
      return { timeout: timespecAt(mem, a[2]) };
    case 'nanosleep':
      return { timeout: timespecAt(mem, a[0]) };
    case 'clock_nanosleep':
      // clock_nanosleep(clockid, flags, request, remain): TIMER_ABSTIME (1) makes it a deadline.
      return { timeout: (Number(a[1]) & 1) !== 0 ? deadlineAt(mem, a[2], Number(a[0])) : timespecAt(mem, a[2]) };
    case 'io_uring':
      return decodeIoUring(a, mem);
    case 'wait':
      return { timeout: INFINITE };
    case 'restart':
      return { timeout: null, note: 'a wait restarted after a stop or a signal: its fds and timeout are in the kernel, not readable' };
    default:
      return { timeout: null };
  }
}

/** Calls that write the time left back into the caller's timeout when a signal interrupts them. */
const WRITES_BACK: ReadonlySet<WaitKind> = new Set(['ppoll', 'pselect6', 'select']);

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
    futex: null,
    note: null,
  };
  if (sc.status !== 'syscall') return base;
  const entry = syscallEntry(arch, sc.nr);
  base.syscall = entry.name;
  base.kind = entry.kind;
  try {
    Object.assign(base, decodeWait(pid, entry.kind, sc.args, mem));
    if (isStopped(base.state) && base.timeout && !base.timeout.infinite && WRITES_BACK.has(entry.kind)) {
      base.timeout = { ...base.timeout, leftAfterStop: true };
    }
  } catch (error) {
    base.note = `could not decode ${entry.name}: ${(error as Error).message}`;
  }
  return base;
}

/** Kinds of wait whose watched descriptors wake the thread when ready. */
export function pollsFds(kind: WaitKind | null): boolean {
  return kind === 'ppoll' || kind === 'poll' || kind === 'epoll_wait' || kind === 'epoll_pwait2' || kind === 'select' || kind === 'pselect6';
}

/** T: stopped by a signal (SIGSTOP, job control); t: stopped by a tracer (a debugger). */
export function isStopped(state: string): boolean {
  return state === 'T' || state === 't';
}
