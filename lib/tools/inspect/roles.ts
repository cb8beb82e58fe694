// What the threads and fds of a known program are for, from what /proc shows: QEMU names
// its threads (`-name <vm>,debug-threads=on`), and a process with GLib loaded has a
// GMainContext per loop, each with a wake-up eventfd that only an iterated context reads.
import { readFileSync } from 'node:fs';

export interface ProgramKind {
  qemu: boolean;
  glib: boolean;
}

/** QEMU (from its executable's name) and GLib (from its mappings); neither when unreadable. */
export function programKind(pid: number, name: string): ProgramKind {
  let maps = '';
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    // unreadable (permission, exited): no guess
  }
  return {
    qemu: /^qemu-system-/.test(name) || /\/qemu-system-[^/\s]*$/m.test(maps),
    glib: /\/libglib-2\.0\.so/.test(maps),
  };
}

/**
 * The role of a QEMU thread from its comm (as set with debug-threads=on; the kernel keeps 15
 * bytes): 'IO <id>' an IOThread (its AioContext runs aio_poll), 'CPU <n>/<accel>' a vCPU,
 * 'worker' a thread-pool worker, 'call_rcu' the RCU reclaimer, the thread group leader
 * the main loop. Null for a thread it does not recognise, or outside QEMU.
 */
export function qemuRole(comm: string, isLeader: boolean): string | null {
  let m: RegExpExecArray | null;
  if ((m = /^IO (.+)$/.exec(comm))) return `QEMU IOThread ${m[1]}`;
  if ((m = /^CPU (\d+)\/(.+)$/.exec(comm))) return `QEMU vCPU ${m[1]} (${m[2]})`;
  if (comm === 'worker') return 'QEMU thread-pool worker';
  if (comm === 'call_rcu') return 'QEMU RCU reclaimer';
  if (isLeader) return 'QEMU main loop';
  return null;
}
