// The receiver of the MessagePort measurement: an idle worker whose event loop sleeps in
// epoll_wait until a message arrives; the handler timestamps first.
import { parentPort, workerData } from 'node:worker_threads';
import { currentCpu } from '../../harnesses';

/** words[0]: the last sample handled; words[1]: the CPU its handler ran on. */
const words = new Int32Array(workerData.sab as SharedArrayBuffer, 0, 2);
const times = new BigInt64Array(workerData.sab as SharedArrayBuffer, 8, 1);
parentPort!.on('message', (i: number) => {
  const t1 = process.hrtime.bigint();
  if (i < 0) {
    parentPort!.close();
    return;
  }
  Atomics.store(times, 0, t1);
  Atomics.store(words, 1, currentCpu());
  Atomics.store(words, 0, i);
  Atomics.notify(words, 0);
});
