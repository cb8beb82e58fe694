// This process's threads, through /proc/self/task: ids, states, blocked signals.
import fs from 'node:fs';
import { WAIT_MS } from './env';
import { waitFor } from './wait';

/** The kernel thread ids of this process, in /proc/self/task order. */
export function threadIds(): number[] {
  return fs.readdirSync('/proc/self/task').map(Number);
}

/** Whether thread `tid` of this process still exists. */
export function threadExists(tid: number): boolean {
  return fs.existsSync(`/proc/self/task/${tid}`);
}

/** The fields of /proc/self/task/<tid>/status (State, SigBlk, voluntary_ctxt_switches, ...). */
export function threadStatus(tid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/self/task/${tid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** The scheduler state letter of thread `tid`: 'R' running, 'S' asleep, ... */
export function threadState(tid: number): string {
  return threadStatus(tid).State[0];
}

/** The members of a hexadecimal /proc signal set ("SigBlk: 0000000000000800" -> [12]). */
export function parseSigset(hex: string): number[] {
  const bits = BigInt(`0x${hex}`);
  const out: number[] = [];
  for (let signo = 1; signo <= 64; signo++) if (bits & (1n << BigInt(signo - 1))) out.push(signo);
  return out;
}

/**
 * The signals thread `tid` blocks, as the kernel sees them (SigBlk). Correct under
 * qemu-user too; SigCgt is not (qemu installs its own handlers), so nothing here reads it.
 */
export function threadBlocked(tid: number): number[] {
  return parseSigset(threadStatus(tid).SigBlk);
}

/**
 * Waits until thread `tid` is asleep in the kernel. A worker that posts a message and then
 * calls a blocking function without returning to its event loop is asleep in that call
 * once this resolves (a worker idle in its event loop is asleep too: order it with a
 * message first).
 */
export async function waitForThreadAsleep(tid: number, timeoutMs = WAIT_MS): Promise<void> {
  await waitFor(() => threadState(tid) === 'S', { timeoutMs, what: `thread ${tid} asleep` });
}
