// System calls a thread can be parked in, by number, for the two kernel ABIs we read
// /proc/<pid>/task/<tid>/syscall on. Numbers from arch/x86/entry/syscalls/syscall_64.tbl
// and include/uapi/asm-generic/unistd.h (aarch64).
import { readFileSync } from 'node:fs';

export type KernelArch = 'x86_64' | 'aarch64';

/** How a parked thread waits: decides which arguments name its fds and its timeout. */
export type WaitKind =
  | 'ppoll'
  | 'poll'
  | 'epoll_wait'
  | 'epoll_pwait2'
  | 'select'
  | 'pselect6'
  | 'futex'
  | 'futex_waitv'
  | 'read'
  | 'sigwait'
  | 'sigsuspend'
  | 'nanosleep'
  | 'clock_nanosleep'
  | 'wait'
  | 'socket'
  | 'io_uring'
  | 'restart'
  | 'other';

export interface SyscallEntry {
  name: string;
  kind: WaitKind;
}

const COMMON: ReadonlyArray<[string, WaitKind]> = [
  ['read', 'read'],
  ['ppoll', 'ppoll'],
  ['pselect6', 'pselect6'],
  ['epoll_pwait', 'epoll_wait'],
  ['epoll_pwait2', 'epoll_pwait2'],
  ['futex', 'futex'],
  ['futex_waitv', 'futex_waitv'],
  ['rt_sigtimedwait', 'sigwait'],
  ['rt_sigsuspend', 'sigsuspend'],
  ['nanosleep', 'nanosleep'],
  ['clock_nanosleep', 'clock_nanosleep'],
  ['wait4', 'wait'],
  ['waitid', 'wait'],
  ['accept', 'socket'],
  ['accept4', 'socket'],
  ['recvfrom', 'socket'],
  ['recvmsg', 'socket'],
  ['io_uring_enter', 'io_uring'],
  // A poll, nanosleep or futex wait restarted after a stop or a handled signal: the kernel
  // keeps its arguments in the thread's restart block, out of /proc's sight.
  ['restart_syscall', 'restart'],
];

const NUMBERS: Record<KernelArch, Record<string, number>> = {
  x86_64: {
    read: 0, write: 1, poll: 7, select: 23, pause: 34, nanosleep: 35, accept: 43, recvfrom: 45, recvmsg: 47,
    wait4: 61, rt_sigtimedwait: 128, rt_sigsuspend: 130, futex: 202, clock_nanosleep: 230, epoll_wait: 232,
    waitid: 247, pselect6: 270, ppoll: 271, epoll_pwait: 281, accept4: 288, io_uring_enter: 426,
    epoll_pwait2: 441, futex_waitv: 449, restart_syscall: 219,
  },
  aarch64: {
    epoll_pwait: 22, read: 63, write: 64, pselect6: 72, ppoll: 73, waitid: 95, futex: 98, nanosleep: 101,
    clock_nanosleep: 115, rt_sigsuspend: 133, rt_sigtimedwait: 137, accept: 202, recvfrom: 207, recvmsg: 212,
    accept4: 242, wait4: 260, io_uring_enter: 426, epoll_pwait2: 441, futex_waitv: 449, restart_syscall: 128,
  },
};

const X86_ONLY: ReadonlyArray<[string, WaitKind]> = [
  ['poll', 'poll'],
  ['select', 'select'],
  ['epoll_wait', 'epoll_wait'],
  ['pause', 'sigsuspend'],
];

function buildTable(arch: KernelArch): Map<number, SyscallEntry> {
  const table = new Map<number, SyscallEntry>();
  for (const [name, kind] of arch === 'x86_64' ? [...COMMON, ...X86_ONLY] : COMMON) {
    const nr = NUMBERS[arch][name];
    if (nr !== undefined) table.set(nr, { name, kind });
  }
  return table;
}

const TABLES: Record<KernelArch, Map<number, SyscallEntry>> = {
  x86_64: buildTable('x86_64'),
  aarch64: buildTable('aarch64'),
};

/** The entry for syscall `nr`, or a generic one naming the number. */
export function syscallEntry(arch: KernelArch, nr: number): SyscallEntry {
  return TABLES[arch].get(nr) ?? { name: `syscall ${nr}`, kind: 'other' };
}

export function syscallNumber(arch: KernelArch, name: string): number | undefined {
  return NUMBERS[arch][name];
}

let kernelArchCache: KernelArch | undefined;

/**
 * The ABI of this kernel's system calls, which every process on it uses (qemu-user
 * included: an emulated aarch64 program's ppoll is the host's ppoll, made by qemu). Under
 * qemu-user an arm64 Node sees an x86_64 /proc/cpuinfo, which is how we tell.
 */
export function kernelArch(): KernelArch {
  if (kernelArchCache) return kernelArchCache;
  let x86 = process.arch === 'x64';
  if (process.arch === 'arm64') {
    try {
      x86 = /^vendor_id\s*:|^flags\s*:.*\bsse2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      x86 = false;
    }
  }
  return (kernelArchCache = x86 ? 'x86_64' : 'aarch64');
}
