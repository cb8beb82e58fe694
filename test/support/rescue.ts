// The tests' rescue of a sleeping context, outside the protocol under test. notify() is
// coalesced: after a lost wake-up NOTIFIED stays 1 and every later notify(), schedule() or
// IOThread.stop() is a no-op, so a rescue through them would hang with the bug. A rescue
// writes the context's eventfd directly (as the replays' does) and reports the state it
// found with the HangWatchdog, because a rescue that was needed is a failure.
import { HangWatchdog } from '../../lib/observability/watchdog';
import { formatStall } from '../../lib/observability/stall-format';
import { AioContextRef } from '../../lib/aio/context-ref';
import { W, WORDS } from '../../lib/aio/shared-state';
import { eventfdWrite } from '../../lib/sys/fd';

/**
 * Writes 1 to the eventfd of the context whose shared memory is `sab`; false (and no write)
 * if the context is closed. Same fence as notify()'s kick: KICKERS is raised before CLOSED is
 * read, and closing stores CLOSED before it waits for KICKERS to be 0 (seq_cst both sides),
 * so this never writes to a closed, possibly reused, descriptor.
 */
export function rescueKick(sab: SharedArrayBuffer): boolean {
  const w = new Int32Array(sab, 0, WORDS);
  Atomics.add(w, W.KICKERS, 1);
  try {
    if (Atomics.load(w, W.CLOSED) !== 0) return false;
    eventfdWrite(Atomics.load(w, W.EVENTFD), 1n);
    return true;
  } finally {
    Atomics.sub(w, W.KICKERS, 1);
  }
}

/** What the HangWatchdog says about `ref` now, as text lines (a sleep past `stallMs` is a stall). */
export function stallReport(ref: AioContextRef, stallMs = 1): string[] {
  const dog = new HangWatchdog(ref, { stallMs });
  try {
    return formatStall(dog.check());
  } finally {
    dog.close();
  }
}

/** The message of a failure whose rescue was needed. */
export function rescueFailure(what: string, report: string[]): Error {
  return new Error(
    `${what}: the test had to rescue it with a direct eventfd write (a lost wake-up?)\n  ${report.join('\n  ')}`,
  );
}
