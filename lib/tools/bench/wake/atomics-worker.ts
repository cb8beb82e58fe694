// The receiver of the Atomics.notify -> Atomics.wait measurement: a worker that announces
// each sleep and then sleeps in Atomics.wait until the main thread's notify.
import { workerData } from 'node:worker_threads';
import { currentCpu } from '../../harnesses';
import { A, atomicsViews } from './atomics-layout';

const { words, times, cpu } = atomicsViews(workerData.sab as SharedArrayBuffer);
for (let i = 1; ; i++) {
  Atomics.store(words, A.ARMED, i);
  let go = Atomics.load(words, A.GO);
  while (go !== i) {
    if (Atomics.load(words, A.STOP) !== 0) process.exit(0);
    Atomics.wait(words, A.GO, go);
    go = Atomics.load(words, A.GO);
  }
  Atomics.store(times, 0, process.hrtime.bigint());
  Atomics.store(cpu, 0, currentCpu());
  Atomics.store(words, A.DONE, i);
  Atomics.notify(words, A.DONE);
}
