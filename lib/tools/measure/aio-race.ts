// The AioContext protocol under race (doctor check 3): a worker thread schedules an
// IOThread's bottom half at random points of its way back to sleep, race after race; a
// HangWatchdog watches the context meanwhile from this thread. Lost must be 0.
import { once } from 'node:events';
import { join } from 'node:path';
import { HangWatchdog } from '../../observability/watchdog';
import { startProbeThread } from './aio-wake';
import { MeasureProgress } from './wake-result';
import { Worker } from 'node:worker_threads';

export interface AioRaceOptions {
  races: number;
  boundMs: number;
  maxMs: number;
  onProgress?: MeasureProgress;
}

export interface AioRaceResult {
  races: number;
  lost: number;
  late: number;
  /** Races in which the IOThread went to sleep (blocking ppolls). */
  sleeps: number;
  kicks: number;
  elapsedNs: number;
  /** Stalls the HangWatchdog reported meanwhile (must be 0 on a healthy host). */
  watchdogAlarms: number;
  truncated: boolean;
}

export async function measureAioRace(o: AioRaceOptions): Promise<AioRaceResult> {
  const { thread, sab, bh } = await startProbeThread('doctor-race');
  const watchdog = new HangWatchdog(thread.ctx, { stallMs: Math.max(o.boundMs, 100) });
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const timer = setInterval(() => o.onProgress?.(Atomics.load(progress, 0), o.races), 250);
  try {
    const worker = new Worker(join(__dirname, 'race-worker.js'), {
      workerData: { sab, ctxSab: thread.ctx.sab, bh, races: o.races, boundMs: o.boundMs, maxMs: o.maxMs, progress },
      name: 'doctor-race-sender',
    });
    // Both promises are made now: the worker may post and exit before we get to await them.
    const exited = once(worker, 'exit');
    const [r] = (await Promise.race([
      once(worker, 'message'),
      once(worker, 'error').then(([e]) => Promise.reject(e)),
    ])) as [Omit<AioRaceResult, 'watchdogAlarms' | 'truncated'>];
    await exited;
    return { ...r, watchdogAlarms: watchdog.stalls, truncated: r.races < o.races };
  } finally {
    clearInterval(timer);
    watchdog.close();
    await thread.stop();
  }
}
