// Sleeping one-way wake-up through the SIGIO path from JavaScript, as the AioContext's
// sigioKick uses it: this thread calls kill(getpid(), SIGIO); the addon's signal relay
// (its sigwaitinfo thread, or its handler on whichever thread takes the signal) writes a
// record to a pipe; a worker asleep in ppoll on that pipe wakes and timestamps.
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { kill, getpid } from '../../sys/signals';
import { MeasureProgress, pauseMs, WakeMeasurement, yieldToLoop } from './wake-result';

/** Layout of the shared buffer: Int32 words, a BigInt64 slot, then the samples. */
export const S = {
  READY: 0,
  ARMED: 1,
  SENT: 2,
  STOP: 3,
  /** BigInt64 index of the kick timestamp (byte 16). */
  T0_SLOT: 2,
  LAT_BYTE_OFFSET: 32,
} as const;

export interface SigioWakeOptions {
  samples: number;
  gapUs: number;
  boundMs: number;
  maxMs: number;
  onProgress?: MeasureProgress;
}

export async function measureSigioWake(o: SigioWakeOptions): Promise<WakeMeasurement> {
  const sab = new SharedArrayBuffer(S.LAT_BYTE_OFFSET + 8 * o.samples);
  const w = new Int32Array(sab);
  const t = new BigInt64Array(sab);
  const worker = new Worker(join(__dirname, 'sigio-worker.js'), {
    workerData: { sab, samples: o.samples, boundNs: o.boundMs * 1e6, hardNs: Math.max(1000, 10 * o.boundMs) * 1e6 },
    name: 'doctor-sigio',
  });
  // Both promises are made now: the worker may post and exit before we get to await them.
  const exited = once(worker, 'exit');
  const result = once(worker, 'message') as Promise<[{ late: number; lost: number; spurious: number; taken: number }]>;
  const failed = once(worker, 'error').then(([e]) => Promise.reject(e));
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(o.maxMs) * 1_000_000n;
  const pid = getpid();
  // The relay must be open before the first SIGIO (its default action kills the process).
  while (Atomics.load(w, S.READY) !== 1) {
    await Promise.race([yieldToLoop(), failed]);
    pauseMs(1);
  }
  for (let i = 1; i <= o.samples; i++) {
    while (Atomics.load(w, S.ARMED) < i) Atomics.wait(w, S.ARMED, i - 1, 100);
    if (process.hrtime.bigint() > deadline) break;
    pauseMs(o.gapUs / 1000);
    Atomics.store(t, S.T0_SLOT, process.hrtime.bigint());
    Atomics.store(w, S.SENT, i);
    kill(pid, 'SIGIO');
    if (i % 200 === 0) {
      o.onProgress?.(i, o.samples);
      await yieldToLoop();
    }
  }
  // Stopped early (time limit): the worker sees STOP at its next bounded wait. No further
  // SIGIO is sent: once the worker closes its relay, SIGIO's default action is back.
  Atomics.store(w, S.STOP, 1);
  const [r] = await Promise.race([result, failed]);
  await exited;
  return {
    latencies: new Float64Array(sab, S.LAT_BYTE_OFFSET, r.taken).slice(),
    late: r.late,
    lost: r.lost,
    spurious: r.spurious,
    elapsedNs: Number(process.hrtime.bigint() - start),
    truncated: r.taken < o.samples,
  };
}
