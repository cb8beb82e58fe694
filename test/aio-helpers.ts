// Helpers for the AioContext and IOThread tests.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { AioContextRef, IOThread, IOThreadOptions } from '../lib';

/** Emulated aarch64 (qemu-user) runs several times slower: scale loop counts, not asserts. */
export const SLOW = process.arch === 'arm64' && process.env.AIO_NATIVE_ARM64 !== '1';

export const fixture = (name: string): string => resolve(__dirname, 'fixtures', `${name}.js`);

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
export function asleepForever(ref: AioContextRef, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.polling && s.timeoutNs === -1n;
  }, timeoutMs, `${ref.name} to sleep`);
}

/** Like asleepForever, but for a sleep that began after `sleeps` earlier ones. */
export function asleepAgain(ref: AioContextRef, sleeps: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => {
    const s = ref.stats;
    return s.sleeps > sleeps && s.polling && s.timeoutNs === -1n;
  }, timeoutMs, `${ref.name} to sleep again`);
}

/** Starts an IOThread that is stopped when the test ends, even a failing one. */
export async function startThread(t: TestContext, options: IOThreadOptions): Promise<IOThread> {
  const thread = await IOThread.start(options);
  t.after(() => thread.stop());
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
