// eventfd, pipes, and small reads and writes. Would-block is a value (null or false):
// it is the ordinary answer of a non-blocking descriptor.
import { native } from './native';
import { invalidArgType } from '../errors';
import { validateBoolean, validateBytes, validateFd, validateInteger, validateOptions, validateUint64 } from '../validate';

const { EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE, O_NONBLOCK, O_CLOEXEC } = native.fdConstants;

/** The largest value an eventfd counter can hold (2^64 - 2). */
export const EVENTFD_MAX = 2n ** 64n - 2n;

export interface EventfdOptions {
  /** O_NONBLOCK (default true): reads and writes never block. */
  nonblock?: boolean;
  /** O_CLOEXEC (default true). */
  cloexec?: boolean;
  /** EFD_SEMAPHORE (default false): each read takes 1 from the counter. */
  semaphore?: boolean;
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  return value === undefined ? fallback : validateBoolean(value, name);
}

/** eventfd(2): a new event counter, `initval` in 0..2^32-1. Returns its descriptor. */
export function eventfd(initval: number = 0, options?: EventfdOptions): number {
  validateInteger(initval, 'initval', 0, 2 ** 32 - 1);
  return native.eventfd(initval, eventfdFlags(options));
}

function eventfdFlags(options: EventfdOptions | undefined): number {
  const o = validateOptions<EventfdOptions>(options);
  return (
    (flag(o.nonblock, 'options.nonblock', true) ? EFD_NONBLOCK : 0) |
    (flag(o.cloexec, 'options.cloexec', true) ? EFD_CLOEXEC : 0) |
    (flag(o.semaphore, 'options.semaphore', false) ? EFD_SEMAPHORE : 0)
  );
}

/** Reads and resets the counter (or takes 1 in semaphore mode); null if it is zero. */
export function eventfdRead(fd: number): bigint | null {
  return native.eventfdRead(validateFd(fd));
}

/**
 * eventfd() owned by the calling thread (as closeOnThreadExit() would make it) in one
 * call: a thread terminated right after it cannot leak it. Release it with closeOwned().
 */
export function ownedEventfd(initval: number = 0, options?: EventfdOptions): number {
  validateInteger(initval, 'initval', 0, 2 ** 32 - 1);
  return native.ownedEventfd(initval, eventfdFlags(options));
}

/** keepOnThreadExit(fd) and close(fd) in one call (see ownedEventfd()). */
export function closeOwned(fd: number): void {
  native.closeOwned(validateFd(fd));
}

/** Adds `value` to the counter; false if that would overflow a non-blocking counter. */
export function eventfdWrite(fd: number, value: number | bigint = 1n): boolean {
  validateFd(fd);
  return native.eventfdWrite(fd, validateUint64(value, 'value', EVENTFD_MAX));
}

/** pipe2(2) with O_NONBLOCK | O_CLOEXEC on both ends: [readFd, writeFd]. */
export function pipe2(): [readFd: number, writeFd: number] {
  return native.pipe2(O_NONBLOCK | O_CLOEXEC);
}

/** read(2) into `buffer`: bytes read, 0 at end of file, null if it would block. */
export function read(fd: number, buffer: ArrayBufferView): number | null {
  return native.read(validateFd(fd), validateBytes(buffer, 'buffer'));
}

/** write(2) of `buffer`: bytes written, null if it would block. */
export function write(fd: number, buffer: ArrayBufferView): number | null {
  return native.write(validateFd(fd), validateBytes(buffer, 'buffer'));
}

/** close(2). */
export function close(fd: number): void {
  native.close(validateFd(fd));
}

/**
 * Two words of shared memory that guard a descriptor other threads may write: `closed` is
 * set to 1, and then `users` awaited to be 0, before the descriptor is closed at thread
 * exit. Writers raise `users`, then check `closed` (both through Atomics).
 */
export interface CloseFence {
  words: Int32Array;
  closed: number;
  users: number;
}

/**
 * Makes the calling thread own `fd`: it is closed when the thread's environment is torn
 * down (a worker that exits or is terminated) unless keepOnThreadExit(fd) comes first.
 * With a `fence`, the descriptor is fenced first (see CloseFence); every fence of the
 * thread is raised before any of its descriptors closes.
 */
export function closeOnThreadExit(fd: number, fence?: CloseFence): void {
  validateFd(fd);
  if (fence === undefined) return native.closeOnThreadExit(fd);
  const f = validateOptions<CloseFence>(fence, 'fence');
  if (!(f.words instanceof Int32Array) || !(f.words.buffer instanceof SharedArrayBuffer)) {
    throw invalidArgType('fence.words', 'an Int32Array over a SharedArrayBuffer', f.words);
  }
  const last = f.words.length - 1;
  native.closeOnThreadExit(fd, f.words, validateInteger(f.closed, 'fence.closed', 0, last), validateInteger(f.users, 'fence.users', 0, last));
}

/**
 * The writer's half of a CloseFence, in one uninterruptible native call: unless
 * words[fence.closed] is set, adds 1 to the eventfd whose number is words[fdWord], then,
 * if `signal` is given, sigqueue()s it to `pid` with `value`. Returns 0 if the fence was
 * closed, 1 if the eventfd was written, 2 if the signal was sent too.
 */
export function fencedKick(
  fence: CloseFence,
  fdWord: number,
  signal?: { signo: number; pid: number; value: bigint },
): 0 | 1 | 2 {
  return native.fencedKick(fence.words, fence.closed, fence.users, fdWord, signal?.signo ?? 0, signal?.pid ?? 0, signal?.value ?? 0n);
}

/** Undoes closeOnThreadExit(fd): call it before closing fd yourself. */
export function keepOnThreadExit(fd: number): void {
  native.keepOnThreadExit(validateFd(fd));
}
