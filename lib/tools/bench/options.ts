// What a bench run measures: the sizes of a full and a --quick run (the CLI's options override them).
import type { PinMode } from '../harnesses';
import type { IoConfig } from './io';

export interface BenchConfig {
  quick: boolean;
  json: boolean;
  wake: {
    /** Interleaved rounds: every method takes `samples` in each, in a rotating order. */
    rounds: number;
    samples: number;
    /** µs between the receiver's announced sleep and each send, for every method. */
    gapUs: number;
    /**
     * Samples per method in the unrecorded warm-up round (and dropped from each of the
     * doctor's measurements, which start a fresh thread): a JavaScript receiver's poll()
     * reaches V8's optimizing tier only after about a thousand wake-ups.
     */
    warmup: number;
    /** Where the native harness runs its two threads. */
    pin: PinMode;
  };
  fastPath: { iterations: number; repeats: number };
  coalesce: { durationMs: number; rounds: number; notifiers: number[] };
  poll: { fds: number[]; iterations: number; repeats: number };
  memory: { cycles: number };
  io: IoConfig;
}

export const FULL: Omit<BenchConfig, 'quick' | 'json'> = {
  wake: { rounds: 20, samples: 500, gapUs: 50, warmup: 1000, pin: 'none' },
  fastPath: { iterations: 1_000_000, repeats: 21 },
  coalesce: { durationMs: 1000, rounds: 3, notifiers: [1, 4] },
  poll: { fds: [8, 64, 1024, 4096], iterations: 20_000, repeats: 11 },
  memory: { cycles: 1_000_000 },
  io: { callRounds: 10, callSamples: 1000, messages: 200_000, channelRounds: 5, capacity: 256 * 1024 },
};

export const QUICK: Omit<BenchConfig, 'quick' | 'json'> = {
  wake: { rounds: 4, samples: 100, gapUs: 50, warmup: 1000, pin: 'none' },
  fastPath: { iterations: 200_000, repeats: 7 },
  coalesce: { durationMs: 300, rounds: 1, notifiers: [1, 4] },
  poll: { fds: [8, 64, 1024, 4096], iterations: 5_000, repeats: 5 },
  memory: { cycles: 200_000 },
  io: { callRounds: 2, callSamples: 100, messages: 10_000, channelRounds: 1, capacity: 256 * 1024 },
};
