// A notifier of the coalescing measurement: in each run it takes part in, it calls
// ref.notify() as fast as it can until the main thread stops the run.
import { workerData } from 'node:worker_threads';
import { AioContextRef } from '../../aio/context-ref';
import { coalesceViews, K } from './coalesce-layout';

const { index, sab } = workerData as { index: number; sab: SharedArrayBuffer; ctx: unknown };
const ref = AioContextRef.from(workerData.ctx);
const { words, counts } = coalesceViews(sab);

Atomics.add(words, K.READY, 1);
Atomics.notify(words, K.READY);
for (let run = 0; ; ) {
  let go = Atomics.load(words, K.GO);
  while (go === run) {
    Atomics.wait(words, K.GO, go);
    go = Atomics.load(words, K.GO);
  }
  run = go;
  if (Atomics.load(words, K.QUIT) !== 0) break;
  if (index < Atomics.load(words, K.ACTIVE)) {
    let n = 0;
    while (Atomics.load(words, K.STOP) < run) {
      for (let j = 0; j < 64; j++) ref.notify();
      n += 64;
    }
    counts[index] = n;
  }
  Atomics.add(words, K.DONE, 1);
  Atomics.notify(words, K.DONE);
}
