// The bound of a lifecycle step (IOThread start and stop): a `timeout` in ms and an
// AbortSignal. Past it the step gives up: `giveUp()` ends what it waited for, and the
// promise rejects with ERR_AIO_TIMEOUT or Node's AbortError.
import { abortError, invalidArgType, timeoutError } from '../errors';
import { INT32_MAX, validateInteger } from '../validate';

export interface BoundOptions {
  /** Give up after this many ms (0 .. 2^31-1). */
  timeout?: number;
  /** Give up when this signal aborts. */
  signal?: AbortSignal;
}

export interface Bound {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
}

/** Checks the bound options of an options bag (already known to be an object). */
export function validateBound(o: BoundOptions, prefix = 'options'): Bound {
  const timeout = o.timeout === undefined ? undefined : validateInteger(o.timeout, `${prefix}.timeout`, 0, INT32_MAX);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalidArgType(`${prefix}.signal`, 'an instance of AbortSignal', o.signal);
  }
  return { timeout, signal: o.signal };
}

/** `work`, unless the bound runs out first: then giveUp() runs and the promise rejects. */
export function withBound<T>(work: Promise<T>, bound: Bound, what: string, giveUp: () => void): Promise<T> {
  const { timeout, signal } = bound;
  if (timeout === undefined && signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: Error): void => {
      done();
      giveUp();
      reject(error);
    };
    const onAbort = (): void => fail(abortError(signal!.reason));
    work.then(
      (value) => {
        done();
        resolve(value);
      },
      (err) => {
        done();
        reject(err);
      },
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) timer = setTimeout(() => fail(timeoutError(what, timeout)), timeout);
  });
}
