// The shared memory of one replay: a context's SharedState (the same layout the real
// AioContext publishes, so the stall classifier, the watchdog and `inspect` read replays
// and real contexts alike), followed by the replay's own words: the forced schedule, the
// era's extra flags (ctx->dispatching, iothread->stopping), bottom-half flags, and what
// the classifier needs that the real layout does not carry.
import { SharedState, SHARED_BYTES } from '../../aio/shared-state';

/** Int32 words after the SharedState block. */
export const R = {
  /** Step counter of the forced interleaving (see schedule.ts). */
  STEP: 0,
  /** Set by the orchestrator to end the replay; the rescue kick follows it. */
  SHUTDOWN: 1,
  /** 0 the historical (buggy) protocol, 1 the fixed one. */
  VARIANT: 2,
  /** Era A: QEMU 2.1-2.3's ctx->dispatching. */
  DISPATCHING: 3,
  /** iothread->stopping. */
  STOPPING: 4,
  /** A stop was requested and the home thread has not left yet (the app-level pending work). */
  STOP_REQUESTED: 5,
  /** The home thread's loop has returned. */
  HOME_DONE: 6,
  /** The device's eventfd (a virtio ioeventfd), an external handler of the context; -1 if none. */
  DEVICE_FD: 7,
  /** Device events handled by the home thread. */
  DEVICE_HANDLED: 8,
  /** KICKS counter when the home thread's current poll began (fd set and timeout fixed). */
  KICKS_AT_POLL_START: 9,
  /** 1 while the home thread is in a poll phase (between notify_me += 2 and the end of ppoll). */
  IN_POLL: 10,
  /** Non-zero when an actor failed (its schedule step never came). */
  ERROR: 11,
  /** Actors that returned. */
  ACTORS_DONE: 12,
  /** Thread id of each role's thread (TID_BASE + index in Scenario.roles; up to 6 roles). */
  TID_BASE: 13,
  /** How long (ms) the late-wake control holds its home thread off the CPU. */
  HOLD_MS: 19,
  /** Bottom half i is scheduled (0/1), i < BH_MAX. */
  BH_BASE: 20,
  /** Runs of bottom half i. */
  BH_RUNS_BASE: 28,
} as const;

export const BH_MAX = 8;
export const R_WORDS = 40;
const R_BYTES = R_WORDS * 4;

/** BigInt64 slots after the words. */
export const RT = {
  /** When the home thread's current poll began. */
  POLL_START_NS: 0,
} as const;
export const RT_SLOTS = 2;

export const REPLAY_BYTES = SHARED_BYTES + R_BYTES + RT_SLOTS * 8;

export class ReplayMemory {
  readonly sab: SharedArrayBuffer;
  readonly state: SharedState;
  readonly r: Int32Array;
  readonly rt: BigInt64Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(REPLAY_BYTES)) {
    this.sab = sab;
    this.state = new SharedState(sab);
    this.r = new Int32Array(sab, SHARED_BYTES, R_WORDS);
    this.rt = new BigInt64Array(sab, SHARED_BYTES + R_BYTES, RT_SLOTS);
  }

  get(word: number): number {
    return Atomics.load(this.r, word);
  }

  set(word: number, value: number): void {
    Atomics.store(this.r, word, value);
  }
}
