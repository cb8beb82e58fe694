// Node's own peer: Atomics.notify from the main thread -> a worker asleep in Atomics.wait.
import { join } from 'node:path';
import { currentCpu } from '../../harnesses';
import { A, atomicsViews, ATOMICS_BYTES } from './atomics-layout';
import { awaitCount, awaitFlag, pauseMs, WakeMethod, WakeRound, startPeer } from './method';

export function atomicsMethod(): WakeMethod {
  const sab = new SharedArrayBuffer(ATOMICS_BYTES);
  const { words, times, cpu } = atomicsViews(sab);
  let exited: Promise<void> = Promise.resolve();
  let sample = 0;
  return {
    id: 'atomics',
    label: 'Atomics.notify -> worker in Atomics.wait',
    async start() {
      ({ exited } = await startPeer(join(__dirname, 'atomics-worker.js'), { sab }));
    },
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      const latencies = new Float64Array(samples);
      const sendCpus = new Int32Array(samples);
      const wakeCpus = new Int32Array(samples);
      for (let k = 0; k < samples; k++) {
        const i = ++sample;
        awaitFlag(words, A.ARMED, i, 'the Atomics.wait worker to sleep');
        pauseMs(gapUs / 1000);
        sendCpus[k] = currentCpu();
        const t0 = process.hrtime.bigint();
        Atomics.store(words, A.GO, i);
        Atomics.notify(words, A.GO);
        awaitCount(words, A.DONE, i, 'the Atomics.wait worker to wake');
        latencies[k] = Number(Atomics.load(times, 0) - t0);
        wakeCpus[k] = Atomics.load(cpu, 0);
      }
      return { latencies, sendCpus, wakeCpus, lost: null };
    },
    async stop() {
      Atomics.store(words, A.STOP, 1);
      Atomics.store(words, A.GO, -1);
      Atomics.notify(words, A.GO);
      await exited;
    },
  };
}
