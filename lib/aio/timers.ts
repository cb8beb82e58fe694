// Timers on the context's clock (QEMU's QEMUTimer on QEMU_CLOCK_REALTIME): a deadline in
// nanoseconds of CLOCK_MONOTONIC, a sorted list, and the poll timeout derived from it.
import { closedError, invalidArgType, outOfRange } from '../errors';
import { validateFunction } from '../validate';

const MAX_TIMEOUT_NS = BigInt(Number.MAX_SAFE_INTEGER);

/** CLOCK_MONOTONIC in nanoseconds: libuv's uv_hrtime, the same in every thread. */
export function clockNs(): bigint {
  return process.hrtime.bigint();
}

export class Timer {
  #list: TimerList;
  readonly #cb: () => void;
  /** @internal the deadline while pending, else -1n */
  expireNs = -1n;

  /** @internal use ctx.timerNew() */
  constructor(list: TimerList, cb: () => void) {
    this.#list = list;
    this.#cb = cb;
  }

  /** @internal */
  run(): void {
    this.#cb();
  }

  /** timer_mod(): (re)arms the timer to fire once clockNs() >= deadlineNs. */
  mod(deadlineNs: bigint): void {
    if (typeof deadlineNs !== 'bigint') throw invalidArgType('deadlineNs', 'of type bigint', deadlineNs);
    if (deadlineNs < 0n) throw outOfRange('deadlineNs', '>= 0n (nanoseconds of ctx.clockNs())', deadlineNs);
    this.#list.arm(this, deadlineNs);
  }

  /** timer_del(): disarms it; harmless if it is not pending. */
  del(): void {
    this.#list.disarm(this);
  }

  get pending(): boolean {
    return this.expireNs >= 0n;
  }
}

/** The armed timers of one context, soonest first. */
export class TimerList {
  readonly #active: Timer[] = [];
  readonly #onEarlier: () => void;
  readonly #onRun: () => void;
  #closed = false;

  /**
   * `onEarlier` runs when an arm makes a timer the soonest (QEMU's timerlist_notify);
   * `onRun` before each timer callback (stats).
   */
  constructor(onEarlier: () => void, onRun: () => void) {
    this.#onEarlier = onEarlier;
    this.#onRun = onRun;
  }

  create(cb: () => void): Timer {
    return new Timer(this, validateFunction(cb, 'cb'));
  }

  arm(timer: Timer, deadlineNs: bigint): void {
    if (this.#closed) throw closedError('AioContext');
    this.disarm(timer);
    timer.expireNs = deadlineNs;
    let i = this.#active.length;
    while (i > 0 && this.#active[i - 1].expireNs > deadlineNs) i--;
    this.#active.splice(i, 0, timer);
    if (i === 0) this.#onEarlier();
  }

  disarm(timer: Timer): void {
    if (timer.expireNs < 0n) return;
    timer.expireNs = -1n;
    const i = this.#active.indexOf(timer);
    if (i >= 0) this.#active.splice(i, 1);
  }

  /**
   * ns until the soonest deadline: 0 if it has passed, -1 if no timer is armed. Capped at
   * Number.MAX_SAFE_INTEGER (about 104 days), the most ppoll() takes, as QEMU's
   * qemu_poll_ns caps its sleep at INT32_MAX seconds: a sleep that ends before a farther
   * deadline is a poll without progress, and the caller polls again.
   */
  timeoutNs(): number {
    if (this.#active.length === 0) return -1;
    const left = this.#active[0].expireNs - clockNs();
    if (left <= 0n) return 0;
    return left >= MAX_TIMEOUT_NS ? Number.MAX_SAFE_INTEGER : Number(left);
  }

  /** timerlist_run_timers(): runs every timer due at the time of the call; true if any ran. */
  run(): boolean {
    if (this.#active.length === 0) return false;
    const now = clockNs();
    let ran = false;
    while (this.#active.length > 0 && this.#active[0].expireNs <= now) {
      const timer = this.#active.shift()!;
      timer.expireNs = -1n;
      this.#onRun();
      ran = true;
      timer.run();
    }
    return ran;
  }

  /** Disarms every timer for good: the context closed, and arming throws from now on. */
  close(): void {
    this.#closed = true;
    for (const t of this.#active) t.expireNs = -1n;
    this.#active.length = 0;
  }
}
