// Node's own peer: MessagePort postMessage from the main thread into an idle worker.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { currentCpu } from '../../harnesses';
import { awaitCount, pauseMs, WakeMethod, WakeRound, startPeer } from './method';

export function messagePortMethod(): WakeMethod {
  const sab = new SharedArrayBuffer(16);
  const words = new Int32Array(sab, 0, 2);
  const times = new BigInt64Array(sab, 8, 1);
  let worker: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();
  let sample = 0;
  return {
    id: 'message-port',
    label: 'MessagePort postMessage -> idle worker',
    async start() {
      ({ worker, exited } = await startPeer(join(__dirname, 'message-port-worker.js'), { sab }));
    },
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      if (!worker) throw new Error('bench: MessagePort method not started');
      const latencies = new Float64Array(samples);
      const sendCpus = new Int32Array(samples);
      const wakeCpus = new Int32Array(samples);
      for (let k = 0; k < samples; k++) {
        const i = ++sample;
        // The previous sample's handler has returned (it stored DONE last): after the gap
        // the worker's loop is back in epoll_wait.
        pauseMs(gapUs / 1000);
        sendCpus[k] = currentCpu();
        const t0 = process.hrtime.bigint();
        worker.postMessage(i);
        awaitCount(words, 0, i, 'the MessagePort worker to run its handler');
        latencies[k] = Number(Atomics.load(times, 0) - t0);
        wakeCpus[k] = Atomics.load(words, 1);
      }
      return { latencies, sendCpus, wakeCpus, lost: null };
    },
    async stop() {
      worker?.postMessage(-1);
      await exited;
      worker = null;
    },
  };
}
