// Helpers for the AioContext and IOThread tests.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { AioContextRef, IOThread, IOThreadOptions } from '../../lib';
import { emulation, sanitizer } from '../../lib/tools/environment';
import { withTimeout } from './workers';
import { rescueFailure, rescueKick, stallReport } from './rescue';

/** The emulator this Node runs under ('qemu-user'), detected from /proc/cpuinfo; null on hardware. */
export const EMULATED = emulation();

/** Emulated or instrumented runs are several times slower: scale loop counts and bounds, not asserts. */
export const SLOW = EMULATED !== null || sanitizer() !== null;

/** How long a stop of an IOThread, or its falling asleep, may take: a bound on a hang, not a latency. */
export const STOP_MS = SLOW ? 60_000 : 10_000;

export const fixture = (name: string): string => resolve(__dirname, '..', 'fixtures', `${name}.js`);

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Polls `predicate` every few ms; rejects after `timeoutMs` with `what`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** Resolves once the context's home thread sleeps in ppoll with an infinite timeout. */
export function asleepForever(ref: AioContextRef, timeoutMs = STOP_MS): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.polling && s.timeoutNs === -1n;
  }, timeoutMs, `${ref.name} to sleep`);
}

/** Like asleepForever, but for a sleep that began after `sleeps` earlier ones. */
export function asleepAgain(ref: AioContextRef, sleeps: number, timeoutMs = STOP_MS): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.sleeps > sleeps && s.polling && s.timeoutNs === -1n;
  }, timeoutMs, `${ref.name} to sleep again`);
}

/**
 * Stops `thread`. Its stop request travels through the protocol under test (a bottom half,
 * so a notify()), so a lost wake-up would hang here for ever: after `boundMs` the test
 * rescues the thread with a direct eventfd write, waits for it to stop, and fails with the
 * watchdog's report of the sleep it found.
 */
export async function stopThread(thread: IOThread, boundMs = STOP_MS): Promise<void> {
  const stopped = thread.stop();
  const inTime = await withTimeout(stopped.then(() => true), boundMs, 'stop').catch(() => false);
  if (inTime) return;
  const report = stallReport(thread.ctx, boundMs);
  rescueKick(thread.ctx.sab);
  await withTimeout(stopped, boundMs, `IOThread ${thread.ctx.name} to stop after its rescue`);
  throw rescueFailure(`IOThread ${thread.ctx.name} did not stop within ${boundMs} ms`, report);
}

/** Starts an IOThread that is stopped (stopThread) when the test ends, even a failing one. */
export async function startThread(t: TestContext, options: IOThreadOptions): Promise<IOThread> {
  const thread = await withTimeout(IOThread.start(options), STOP_MS, `IOThread.start(${options.module})`);
  t.after(() => stopThread(thread));
  return thread;
}

/** `p`, or a failure after `ms`: turns a hang into a failing test. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}
