// Sleeping one-way wake-up through the real AioContext: this (main) thread schedules a
// bottom half of an IOThread that sleeps in ppoll; the bottom half timestamps its run.
// The latency therefore includes everything the JavaScript layer adds over the native
// floor: Bh.schedule() -> notify() -> the eventfd write, and poll()'s return, the notifier
// handler and the bottom-half dispatch in the IOThread.
import { join } from 'node:path';
import { BhRef } from '../../aio/bottom-half';
import { IOThread } from '../../aio/iothread';
import { SharedState, W } from '../../aio/shared-state';
import { eventfdWrite } from '../../sys/fd';
import { StallMonitor } from '../../observability/monitor';
import { readyNow } from '../../observability/readiness';
import { probeViews, PROBE_BYTES, PROBE_DONE, PROBE_T1 } from './probe-iothread';
import { MeasureProgress, pauseMs, WakeMeasurement, yieldToLoop } from './wake-result';

export interface AioWakeOptions {
  samples: number;
  gapUs: number;
  boundMs: number;
  maxMs: number;
  onProgress?: MeasureProgress;
}

export const PROBE_MODULE = join(__dirname, 'probe-iothread.js');

/** Starts an IOThread running the probe module (eventfd kicks only: no SIGIO). */
export async function startProbeThread(name: string): Promise<{ thread: IOThread; sab: SharedArrayBuffer; bh: BhRef }> {
  const sab = new SharedArrayBuffer(PROBE_BYTES);
  const thread = await IOThread.start({ module: PROBE_MODULE, data: { sab }, name, sigioKick: false });
  const bh = (thread.setupResult as { bh: BhRef }).bh;
  return { thread, sab, bh };
}

/** A monitor for a context whose only fds are its own. */
export function contextMonitor(state: SharedState, stallMs: number): StallMonitor {
  return new StallMonitor(
    {
      state,
      probe: (s) => {
        const watched = s.watched.map((w) => w.fd);
        const ready = readyNow([s.eventfd, ...watched]);
        return {
          eventfdReadable: ready.has(s.eventfd),
          readyWatched: watched.filter((fd) => fd !== s.eventfd && ready.has(fd)),
          readyUnwatched: [],
          appPending: [],
          kicksSincePollStart: null,
        };
      },
    },
    stallMs,
  );
}

export async function measureAioWake(o: AioWakeOptions): Promise<WakeMeasurement> {
  const { thread, sab, bh } = await startProbeThread('doctor-wake');
  const state = new SharedState(thread.ctx.sab);
  const { times, words } = probeViews(sab);
  const monitor = contextMonitor(state, o.boundMs);
  const latencies: number[] = [];
  let late = 0;
  let lost = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(o.maxMs) * 1_000_000n;
  const hardMs = Math.max(1000, 10 * o.boundMs);
  try {
    for (let i = 1; i <= o.samples; i++) {
      if (process.hrtime.bigint() > deadline) break;
      // Wait until the IOThread announced its sleep, then `gap` more: it is in the kernel.
      for (let n = 0; Atomics.load(state.words, W.POLLING) !== 1; n++) {
        if (n > 100000) throw new Error('the probe IOThread never went to sleep');
        pauseMs(0.02);
      }
      pauseMs(o.gapUs / 1000);
      const t0 = process.hrtime.bigint();
      bh.schedule();
      let waited = 0;
      let wasLost = false;
      while (Atomics.load(words, PROBE_DONE) < i) {
        Atomics.wait(words, PROBE_DONE, i - 1, o.boundMs);
        waited += o.boundMs;
        if (Atomics.load(words, PROBE_DONE) >= i) break;
        // The bottom half has been pending for the bound: lost (no kick reached the sleep),
        // or late (a kick is in flight, or the IOThread is off the CPU).
        if (!wasLost && monitor.classifyNow().verdict === 'lost') {
          wasLost = true;
          lost++;
          eventfdWrite(Atomics.load(state.words, W.EVENTFD), 1n); // rescue, to go on measuring
        }
        if (waited > hardMs) throw new Error(`the probe IOThread did not run its bottom half within ${hardMs} ms`);
      }
      const dt = Number(Atomics.load(times, PROBE_T1) - t0);
      latencies.push(dt);
      if (!wasLost && dt > o.boundMs * 1e6) late++;
      if (i % 200 === 0) {
        o.onProgress?.(i, o.samples);
        await yieldToLoop();
      }
    }
  } finally {
    await thread.stop();
  }
  return {
    latencies: Float64Array.from(latencies),
    late,
    lost,
    spurious: null,
    elapsedNs: Number(process.hrtime.bigint() - start),
    truncated: latencies.length < o.samples,
  };
}
