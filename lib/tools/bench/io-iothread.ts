// The IOThread of the call and byte-channel benchmarks: an empty function for call()
// round trips, and a byte channel whose reader counts messages (the same work as the
// MessagePort peer's handler: count, and signal the round's last one).
import { getHeapStatistics } from 'node:v8';
import { ByteChannel } from '../../aio/byte-channel';
import type { AioContext } from '../../aio/context';
import { median } from './timing';

/** Int32 words of the shared counter. */
export const K = { TARGET: 0, DONE: 1 } as const;

let channel: ByteChannel;
let count = 0;
let words: Int32Array;

export function setup(ctx: AioContext, data: { counter: SharedArrayBuffer; capacity: number }) {
  words = new Int32Array(data.counter);
  channel = new ByteChannel(ctx, { capacity: data.capacity }, () => {
    if (++count === Atomics.load(words, K.TARGET)) {
      Atomics.store(words, K.DONE, count);
      Atomics.notify(words, K.DONE);
    }
  });
  return { input: channel.producer() };
}

/** The call() round-trip target: does nothing with what it gets. */
export function nop(..._args: unknown[]): void {}

/**
 * Bytes allocated per message by the IOThread side of the channel: V8 heap growth while
 * drain() reads `messages` messages of `size` bytes (queued by a producer on this thread),
 * less that of an empty measurement, per message; median of `repeats` chunks.
 */
export function drainAllocation(messages: number, size: number, repeats: number): number {
  const producer = channel.producer();
  const msg = new Uint8Array(size);
  const growth = (n: number): number => {
    for (let i = 0; i < n; i++) if (!producer.trySend(msg)) throw new Error(`bench: the channel holds fewer than ${n} messages`);
    const before = getHeapStatistics().used_heap_size;
    channel.drain();
    return getHeapStatistics().used_heap_size - before;
  };
  const figures: number[] = [];
  for (let r = -2; r < repeats; r++) {
    const base = growth(0);
    const g = growth(messages);
    if (r >= 0) figures.push(Math.max(0, g - base) / messages);
  }
  return median(figures);
}
