// The shared memory of one AioContext: everything another thread may read or write
// (notify(), BhRef.schedule(), external enable/disable, stats, the hang watchdog), in a
// SharedArrayBuffer accessed only through Atomics (sequentially consistent: the full
// barriers QEMU's smp_mb() gives, on x86 and arm64 alike).
//
// Layout: an Int32Array of words, then a BigInt64Array of nanosecond times, then the
// fd set the home thread is polling (published for the watchdog and `inspect`).

import { invalidArgType } from '../errors';
import type { CloseFence } from '../sys';

/** Int32 word indices. */
export const W = {
  /** QEMU's ctx->notify_me: += 2 while the home thread may sleep in ppoll. */
  NOTIFY_ME: 0,
  /** QEMU's ctx->notified: set by notify(), cleared by notifyAccept(). */
  NOTIFIED: 1,
  /** QEMU's ctx->external_disable_cnt. */
  EXTERNAL_DISABLE_CNT: 2,
  /** Bottom halves enqueued since the home thread last took them: > 0 means work may be pending. */
  BH_ENQUEUED: 3,
  /** 1 while the home thread is inside ppoll with a non-zero timeout (asleep). */
  POLLING: 4,
  /** 1 once the context is closed. */
  CLOSED: 5,
  /** Kernel thread id of the home thread. */
  HOME_TID: 6,
  /** The context's eventfd (the notifier). */
  EVENTFD: 7,
  /** The signal relay pipe polled beside it when sigioKick is on, else -1. */
  RELAY_FD: 8,
  /** 1 when notify() doubles each eventfd kick with kill(getpid(), SIGIO). */
  SIGIO_KICK: 9,
  /** Entries in the polled fd set (may exceed WATCHED_MAX; only that many are published). */
  WATCHED_COUNT: 10,
  /** Kicks under way in any thread: close() waits for 0 before it closes the eventfd. */
  KICKERS: 11,
  /** The process id, for the SIGIO kick (kill(getpid(), SIGIO)). */
  PID: 12,
  /** 1 once the context waits with epoll (many fds) instead of ppoll. */
  EPOLL: 13,
  /** Head of the enqueued bottom-half list: a slot number + 1, 0 when empty (bottom-half.ts). */
  BH_HEAD: 14,
  /** A random tag of this context, carried by its SIGIO kicks (see kick() in notify.ts). */
  TAG: 15,

  // Stats: monotonically increasing counters (uint32, wrapping; read with >>> 0).
  NOTIFIES: 16,
  /** eventfd writes by notify(). */
  KICKS: 17,
  SIGIO_KICKS: 18,
  /** Sleeps ended by the SIGIO relay while the eventfd was not readable. */
  RESCUES: 19,
  POLLS: 20,
  /** Blocking ppoll calls (timeout != 0). */
  SLEEPS: 21,
  BH_RUNS: 22,
  HANDLER_RUNS: 23,
  TIMER_RUNS: 24,
  BH_SCHEDULES: 25,
} as const;

export const WORDS = 32;

/** BigInt64 slot indices. */
export const T = {
  /** Timeout of the current or last ppoll, ns (-1 infinite). */
  TIMEOUT_NS: 0,
  /** clockNs() when the current sleep began; 0 when not asleep. */
  SLEEP_START_NS: 1,
  /** clockNs() of the last eventfd kick. */
  LAST_KICK_NS: 2,
} as const;

export const TIMES = 4;

/** How many entries of the polled fd set are published (fd, events pairs). */
export const WATCHED_MAX = 64;

const WORDS_BYTES = WORDS * 4;
const TIMES_BYTES = TIMES * 8;
const WATCHED_BYTES = WATCHED_MAX * 2 * 4;
export const SHARED_BYTES = WORDS_BYTES + TIMES_BYTES + WATCHED_BYTES;

/** Typed views over one context's SharedArrayBuffer. */
export class SharedState {
  readonly sab: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly times: BigInt64Array;
  /** [fd0, events0, fd1, events1, ...] of the polled set. */
  readonly watched: Int32Array;
  /** CLOSED and KICKERS: the fence between kicks and whoever closes the eventfd (notify.ts). */
  readonly fence: CloseFence;

  /** Throws unless `sab` is a context's shared memory (made by an AioContext). */
  static check(sab: unknown, name: string): SharedArrayBuffer {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < SHARED_BYTES) {
      throw invalidArgType(name, `a SharedArrayBuffer of at least ${SHARED_BYTES} bytes made by an AioContext`, sab);
    }
    return sab;
  }

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(SHARED_BYTES)) {
    this.sab = sab;
    this.words = new Int32Array(sab, 0, WORDS);
    this.times = new BigInt64Array(sab, WORDS_BYTES, TIMES);
    this.watched = new Int32Array(sab, WORDS_BYTES + TIMES_BYTES, WATCHED_MAX * 2);
    this.fence = { words: this.words, closed: W.CLOSED, users: W.KICKERS };
  }

  load(word: number): number {
    return Atomics.load(this.words, word);
  }

  /** A stats counter as an unsigned 32-bit value. */
  counter(word: number): number {
    return Atomics.load(this.words, word) >>> 0;
  }

  time(slot: number): bigint {
    return Atomics.load(this.times, slot);
  }
}
