// Node's own peer for the call and channel benchmarks: an idle worker on its event loop.
// [id, arg] is a request, answered with the id (a request/response round trip); a
// Uint8Array is a streamed message, counted as the IOThread's channel reader counts.
import { parentPort, workerData } from 'node:worker_threads';
import { K } from './io-iothread';

const words = new Int32Array(workerData.counter as SharedArrayBuffer);
let count = 0;
parentPort!.on('message', (m: unknown) => {
  if (Array.isArray(m)) {
    if (m[0] < 0) parentPort!.close();
    else parentPort!.postMessage(m[0]);
    return;
  }
  if (++count === Atomics.load(words, K.TARGET)) {
    Atomics.store(words, K.DONE, count);
    Atomics.notify(words, K.DONE);
  }
});
