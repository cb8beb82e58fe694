import { Worker } from 'node:worker_threads';
import type { PinMode, WakeSender } from '../../harnesses';
// One way of waking a sleeping thread, measured sample by sample: the receiver announces
// that it is about to sleep, the sender waits the gap, notes its CPU, timestamps, sends;
// the receiver timestamps as soon as it runs again, then notes its CPU. Latency =
// receiver's timestamp - sender's (process.hrtime.bigint(), CLOCK_MONOTONIC in every
// thread); the two CPUs say whether the wake-up crossed CPUs (on a 2-vCPU guest a
// cross-CPU wake-up of a halted vCPU costs several times a same-CPU one).
import { pauseMs } from '../../measure/wake-result';

export interface WakeRound {
  /** Sleeping one-way latencies, ns. */
  latencies: ArrayLike<number>;
  /** Per sample, the sender's CPU just before its timestamp (-1: unknown). */
  sendCpus: ArrayLike<number>;
  /** Per sample, the receiver's CPU just after its timestamp (-1: unknown). */
  wakeCpus: ArrayLike<number>;
  /** Waits the method classified as lost, or null where it cannot tell. */
  lost: number | null;
}

export interface WakeMethod {
  readonly id: string;
  readonly label: string;
  /** Native rows: where the two threads are bound, and how the sender behaves between kicks. */
  readonly pin?: PinMode;
  readonly sender?: WakeSender;
  /** Starts the threads the method keeps across rounds. */
  start(): Promise<void>;
  /** Takes `samples` samples with `gapUs` before each send. */
  round(samples: number, gapUs: number): Promise<WakeRound>;
  stop(): Promise<void>;
}

/** Where a hang in a measurement is reported instead of blocking for ever. */
export const HARD_LIMIT_MS = 10_000;

/** Blocks until words[index] === value (a flag another thread stores), polling every 20 µs. */
export function awaitFlag(words: Int32Array, index: number, value: number, what: string): void {
  const deadline = Date.now() + HARD_LIMIT_MS;
  while (Atomics.load(words, index) !== value) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    pauseMs(0.02);
  }
}

/** Blocks until words[index] >= atLeast, sleeping in Atomics.wait (the writer notifies). */
export function awaitCount(words: Int32Array, index: number, atLeast: number, what: string, limitMs = HARD_LIMIT_MS): void {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const now = Atomics.load(words, index);
    if (now >= atLeast) return;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    Atomics.wait(words, index, now, 50);
  }
}

export { pauseMs };

/**
 * Starts a peer worker of the bench and resolves once it is online, with a promise of its
 * exit (listened for at once: it may exit before anyone awaits it).
 */
export async function startPeer(file: string, workerData: unknown): Promise<{ worker: Worker; exited: Promise<void> }> {
  const worker = new Worker(file, { workerData });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', () => {}); // a failure shows as the round's timeout, with its message
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  return { worker, exited };
}
