// The loop's tests: a context asleep (for ever, or again), IOThreads started for a test and
// stopped at its end, rescued (and failed) if their stop request was lost.
import type { TestContext } from 'node:test';
import { AioContextRef, IOThread, IOThreadOptions } from '../../lib';
import { STOP_MS } from './env';
import { rescueFailure, rescueKick, stallReport } from './rescue';
import { waitFor, within } from './wait';

/** Resolves once the context's home thread sleeps in ppoll with an infinite timeout. */
export function asleepForever(ref: AioContextRef, timeoutMs = STOP_MS): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.polling && s.timeoutNs === -1n;
  }, { timeoutMs, what: `${ref.name} to sleep` }).then(() => {});
}

/** Like asleepForever, but for a sleep that began after `sleeps` earlier ones. */
export function asleepAgain(ref: AioContextRef, sleeps: number, timeoutMs = STOP_MS): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.sleeps > sleeps && s.polling && s.timeoutNs === -1n;
  }, { timeoutMs, what: `${ref.name} to sleep again` }).then(() => {});
}

/**
 * Stops `thread`. Its stop request travels through the protocol under test (a bottom half,
 * so a notify()), so a lost wake-up would hang here for ever: after `boundMs` the test
 * rescues the thread with a direct eventfd write, waits for it to stop, and fails with the
 * watchdog's report of the sleep it found.
 */
export async function stopThread(thread: IOThread, boundMs = STOP_MS): Promise<void> {
  const stopped = thread.stop();
  const inTime = await within(stopped.then(() => true), boundMs, 'stop').catch(() => false);
  if (inTime) return;
  const report = stallReport(thread.ctx, boundMs);
  rescueKick(thread.ctx.sab);
  await within(stopped, boundMs, `IOThread ${thread.ctx.name} to stop after its rescue`);
  throw rescueFailure(`IOThread ${thread.ctx.name} did not stop within ${boundMs} ms`, report);
}

/** Starts an IOThread that is stopped (stopThread) when the test ends, even a failing one. */
export async function startThread(t: TestContext, options: IOThreadOptions): Promise<IOThread> {
  const thread = await within(IOThread.start(options), STOP_MS, `IOThread.start(${options.module})`);
  t.after(() => stopThread(thread));
  return thread;
}
