// The sending IOThread of the IOThread -> IOThread measurement. Its bottom half takes one
// round of samples: for each, wait until the receiving IOThread sleeps in ppoll, wait the
// gap, note the CPU, timestamp, and schedule the receiver's probe bottom half
// (probe-cpu.ts), which timestamps its run and notes its CPU. The sender is awake, as a
// real notifier is.
import type { AioContext } from '../../../aio/context';
import type { BhRef } from '../../../aio/bottom-half';
import { W } from '../../../aio/shared-state';
import { currentCpu } from '../../harnesses';
import { probeViews, PROBE_DONE, PROBE_T1 } from '../../measure/probe-iothread';
import { awaitCount, awaitFlag, pauseMs } from './method';
import { PROBE_CPU } from './probe-cpu';

/** Int32 words of the control buffer. */
export const C = { SAMPLES: 0, GAP_US: 1, ROUNDS_DONE: 2, FAILED: 3 } as const;
export const CONTROL_BYTES = 16;

export interface SenderData {
  control: SharedArrayBuffer;
  /** Float64 latencies of the last round. */
  results: SharedArrayBuffer;
  /** Int32 pairs (sender's CPU, receiver's CPU) of the last round. */
  cpus: SharedArrayBuffer;
  /** The receiver's context memory (its POLLING word says when it sleeps). */
  receiverState: SharedArrayBuffer;
  /** The receiver's probe memory. */
  probe: SharedArrayBuffer;
  target: BhRef;
}

export function setup(ctx: AioContext, data: SenderData): { bh: unknown } {
  const control = new Int32Array(data.control);
  const results = new Float64Array(data.results);
  const cpus = new Int32Array(data.cpus);
  const receiver = new Int32Array(data.receiverState, 0, 32);
  const { times, words } = probeViews(data.probe);
  const bh = ctx.bhNew(() => {
    try {
      const samples = Atomics.load(control, C.SAMPLES);
      const gapMs = Atomics.load(control, C.GAP_US) / 1000;
      for (let k = 0; k < samples; k++) {
        awaitFlag(receiver, W.POLLING, 1, 'the receiving IOThread to sleep');
        pauseMs(gapMs);
        const before = Atomics.load(words, PROBE_DONE);
        const cpu = currentCpu();
        const t0 = process.hrtime.bigint();
        data.target.schedule();
        awaitCount(words, PROBE_DONE, before + 1, "the receiver's bottom half");
        results[k] = Number(Atomics.load(times, PROBE_T1) - t0);
        cpus[2 * k] = cpu;
        cpus[2 * k + 1] = Atomics.load(words, PROBE_CPU);
      }
    } catch {
      Atomics.store(control, C.FAILED, 1);
    }
    Atomics.add(control, C.ROUNDS_DONE, 1);
    Atomics.notify(control, C.ROUNDS_DONE);
  });
  return { bh: bh.ref() };
}
