// Waiting without depending on timing: poll a condition until it holds, or bound a promise;
// the bound only turns a hang into a failure that says what never happened.
import { WAIT_MS } from './env';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  /** How long to keep trying (default WAIT_MS). */
  timeoutMs?: number;
  /** Pause between tries (default 5 ms). */
  intervalMs?: number;
  /** Named in the timeout error; a function is asked at the timeout (e.g. for a count now). */
  what?: string | (() => string);
}

/**
 * Calls `predicate` (sync or async) until it returns a truthy value, and resolves with
 * that value; rejects once `timeoutMs` has passed. Exceptions from `predicate` propagate.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMsOrOptions: number | WaitOptions = {},
): Promise<NonNullable<T>> {
  const o = typeof timeoutMsOrOptions === 'number' ? { timeoutMs: timeoutMsOrOptions } : timeoutMsOrOptions;
  const timeoutMs = o.timeoutMs ?? WAIT_MS;
  const intervalMs = o.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      const what = typeof o.what === 'function' ? o.what() : o.what;
      throw new Error(`waitFor: timed out after ${timeoutMs} ms${what ? `: ${what}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves or rejects like `promise`, or rejects after `ms` naming `what`: a hang turned into a failure. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
