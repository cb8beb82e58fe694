// Readers for /proc/<pid>: threads, their state and current system call, descriptors and
// their fdinfo. Each reads one file and returns it parsed; a failure is a Node-style
// system error from fs (ENOENT when the thread or fd went away, EACCES without permission).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export function taskIds(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .map(Number)
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
}

export interface TaskStat {
  comm: string;
  /** R running, S sleeping (interruptible), D disk sleep, T stopped, t traced, Z zombie, ... */
  state: string;
  /** CPU time in clock ticks. */
  utime: number;
  stime: number;
  /** CPU the thread last ran on. */
  processor: number;
}

/** /proc/<pid>/task/<tid>/stat. The comm field may hold spaces and parentheses. */
export function taskStat(pid: number, tid: number): TaskStat {
  const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, processor 39.
  return {
    comm: text.slice(open + 1, close),
    state: rest[0],
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    processor: Number(rest[36]),
  };
}

export interface SyscallState {
  /** 'syscall': blocked in `nr` with `args`; 'running': on a CPU; 'user': blocked outside a syscall. */
  status: 'syscall' | 'running' | 'user';
  nr: number;
  args: bigint[];
  sp: bigint;
  pc: bigint;
}

/** Parses a /proc/<pid>/task/<tid>/syscall line ("nr a0 .. a5 sp pc", "-1 sp pc", "running"). */
export function parseSyscallLine(line: string): SyscallState {
  const t = line.trim();
  if (t === 'running') return { status: 'running', nr: -1, args: [], sp: 0n, pc: 0n };
  const f = t.split(/\s+/);
  const nr = Number(f[0]);
  if (nr < 0 || f.length < 9) {
    return { status: 'user', nr: -1, args: [], sp: BigInt(f[1] ?? 0), pc: BigInt(f[2] ?? 0) };
  }
  return { status: 'syscall', nr, args: f.slice(1, 7).map((a) => BigInt(a)), sp: BigInt(f[7]), pc: BigInt(f[8]) };
}

/** /proc/<pid>/task/<tid>/syscall (needs ptrace-read access to the target). */
export function taskSyscall(pid: number, tid: number): SyscallState {
  return parseSyscallLine(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8'));
}

/** /proc/<pid>/task/<tid>/wchan: the kernel function the thread sleeps in ('0' if none). */
export function taskWchan(pid: number, tid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8').trim() || '0';
  } catch {
    return '?';
  }
}

export type FdKind = 'eventfd' | 'pipe' | 'socket' | 'epoll' | 'signalfd' | 'timerfd' | 'pidfd' | 'memfd' | 'file' | 'other';

export interface FdEntry {
  fd: number;
  /** Target of the /proc/<pid>/fd/<fd> link, e.g. 'anon_inode:[eventfd]', 'pipe:[1234]'. */
  link: string;
  kind: FdKind;
}

export function fdKind(link: string): FdKind {
  if (link === 'anon_inode:[eventfd]') return 'eventfd';
  if (link.startsWith('pipe:')) return 'pipe';
  if (link.startsWith('socket:')) return 'socket';
  if (link === 'anon_inode:[eventpoll]') return 'epoll';
  if (link === 'anon_inode:[signalfd]') return 'signalfd';
  if (link === 'anon_inode:[timerfd]') return 'timerfd';
  if (link === 'anon_inode:[pidfd]') return 'pidfd';
  if (link.startsWith('/memfd:')) return 'memfd';
  if (link.startsWith('/')) return 'file';
  return 'other';
}

/** Every open descriptor of `pid`, with the kind its link names. */
export function listFds(pid: number): FdEntry[] {
  const out: FdEntry[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    const fd = Number(name);
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    out.push({ fd, link, kind: fdKind(link) });
  }
  return out.sort((a, b) => a.fd - b.fd);
}

export interface EpollTarget {
  fd: number;
  /** Event mask it was registered with (EPOLLIN 0x1, EPOLLOUT 0x4, EPOLLET 1<<31, EPOLLONESHOT 1<<30). */
  events: number;
}

export interface FdInfo {
  flags: number;
  /** eventfd: the counter (a pending wake-up when > 0). */
  eventfdCount?: bigint;
  /** epoll: the descriptors registered in it. */
  epollTargets?: EpollTarget[];
}

export function parseFdInfo(text: string): FdInfo {
  const info: FdInfo = { flags: 0 };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^flags:\s*([0-7]+)/.exec(line))) info.flags = parseInt(m[1], 8);
    else if ((m = /^eventfd-count:\s*([0-9a-fA-F]+)/.exec(line))) info.eventfdCount = BigInt(`0x${m[1]}`);
    else if ((m = /^tfd:\s*(\d+)\s+events:\s*([0-9a-fA-F]+)/.exec(line))) {
      (info.epollTargets ??= []).push({ fd: Number(m[1]), events: parseInt(m[2], 16) >>> 0 });
    }
  }
  return info;
}

/** /proc/<pid>/fdinfo/<fd>. */
export function fdInfo(pid: number, fd: number): FdInfo {
  return parseFdInfo(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
}

/** Name and parent of a process, from /proc/<pid>/status. */
export function processStatus(pid: number): { name: string; ppid: number; uid: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  return { name: get('Name'), ppid: Number(get('PPid')), uid: Number(get('Uid').split(/\s+/)[0]) };
}
