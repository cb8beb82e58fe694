// ppoll(2) over a caller-owned `struct pollfd` array.
import { native } from './native';
import { outOfRange } from '../errors';
import { validateBytes, validateFd, validateInteger, validateSignals } from '../validate';

export const { POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDHUP } = native.pollConstants;

/** sizeof(struct pollfd): fd (int32), events (int16), revents (int16). */
export const POLLFD_SIZE = 8;

/** ppoll's answer when a signal interrupted the wait (EINTR). */
export const PPOLL_INTERRUPTED = -1;

/**
 * A `struct pollfd[capacity]` the kernel reads and writes in place: fill it once, poll it
 * many times, with no allocation per call. `length` entries are polled.
 */
export class PollFdArray {
  readonly capacity: number;
  readonly bytes: Uint8Array;
  #length = 0;
  readonly #words: Int32Array;
  readonly #halves: Int16Array;

  constructor(capacity: number) {
    this.capacity = validateInteger(capacity, 'capacity', 0, 2 ** 20);
    const buffer = new ArrayBuffer(Math.max(capacity, 1) * POLLFD_SIZE);
    this.bytes = new Uint8Array(buffer, 0, capacity * POLLFD_SIZE);
    this.#words = new Int32Array(buffer);
    this.#halves = new Int16Array(buffer);
  }

  get length(): number {
    return this.#length;
  }

  set length(n: number) {
    this.#length = validateInteger(n, 'length', 0, this.capacity);
  }

  /** Appends an entry and returns its index. */
  push(fd: number, events: number): number {
    if (this.#length === this.capacity) throw outOfRange('length', `<= ${this.capacity}`, this.#length + 1);
    // Grow only once set() has accepted the entry: a rejected fd or events must not
    // leave a half-written entry (fd 0, stdin) inside the polled length.
    const i = this.#length;
    this.set(i, fd, events);
    this.#length = i + 1;
    return i;
  }

  set(i: number, fd: number, events: number): void {
    validateInteger(i, 'index', 0, this.capacity - 1);
    this.#words[2 * i] = validateFd(fd);
    this.#halves[4 * i + 2] = validateInteger(events, 'events', 0, 0xffff);
    this.#halves[4 * i + 3] = 0;
  }

  fd(i: number): number {
    return this.#words[2 * this.#index(i)];
  }

  events(i: number): number {
    return this.#halves[4 * this.#index(i) + 2] & 0xffff;
  }

  revents(i: number): number {
    return this.#halves[4 * this.#index(i) + 3] & 0xffff;
  }

  /** An entry's index, checked: any other value would read another entry or nothing. */
  #index(i: number): number {
    // The common case costs two comparisons; validateInteger words the error.
    if (typeof i === 'number' && i >= 0 && i < this.capacity && (i | 0) === i) return i;
    return validateInteger(i, 'index', 0, this.capacity - 1);
  }
}

/** A timeout in ns (number or bigint, -1 = forever) as the number the addon takes. */
export function timeoutToNumber(timeoutNs: unknown): number {
  if (typeof timeoutNs === 'bigint') {
    if (timeoutNs < -1n) throw outOfRange('timeoutNs', '>= -1', timeoutNs);
    return Number(timeoutNs);
  }
  return validateInteger(timeoutNs, 'timeoutNs', -1, Number.MAX_SAFE_INTEGER);
}

/**
 * ppoll(2): waits until an entry is ready, the timeout passes, or a signal arrives.
 * `timeoutNs`: -1 waits forever, 0 does not wait. `sigmask`: the thread's signal mask for
 * the duration of the wait. Returns the number of ready entries (their `revents` are
 * set), 0 on timeout, or PPOLL_INTERRUPTED.
 *
 * It blocks the calling thread, JavaScript included: meant for worker threads (an
 * IOThread). On the main thread only a timeout of 0 keeps Node's event loop running.
 */
export function ppoll(
  pollfds: PollFdArray | ArrayBufferView,
  timeoutNs: number | bigint,
  sigmask?: Array<string | number> | null,
): number {
  let bytes: ArrayBufferView;
  let nfds: number;
  if (pollfds instanceof PollFdArray) {
    bytes = pollfds.bytes;
    nfds = pollfds.length;
  } else {
    bytes = validateBytes(pollfds, 'pollfds');
    if (bytes.byteLength % POLLFD_SIZE !== 0) {
      throw outOfRange('pollfds.byteLength', `a multiple of ${POLLFD_SIZE}`, bytes.byteLength);
    }
    nfds = bytes.byteLength / POLLFD_SIZE;
  }
  const timeout = timeoutToNumber(timeoutNs);
  const mask = sigmask === undefined || sigmask === null ? null : validateSignals(sigmask, 'sigmask');
  return native.ppoll(bytes, nfds, timeout, mask);
}
