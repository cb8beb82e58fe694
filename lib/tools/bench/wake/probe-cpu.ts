// The IOThread module that receives the bench's AioContext wake-ups: the doctor's probe
// bottom half (lib/tools/measure/probe-iothread.ts: timestamp, count, Atomics.notify),
// which also records the CPU it runs on, after its timestamp, so that every sample says
// whether the wake-up crossed CPUs. Started by startCpuProbe() (probe-cpu-thread.ts).
import type { AioContext } from '../../../aio/context';
import { currentCpu } from '../../harnesses';
import { probeViews, PROBE_DONE, PROBE_T1 } from '../../measure/probe-iothread';

/** Int32 word of the probe's memory (byte offset 20, free in the doctor's layout): the CPU of the last run. */
export const PROBE_CPU = 5;

export function setup(ctx: AioContext, data: { sab: SharedArrayBuffer }): { bh: unknown } {
  const { times, words } = probeViews(data.sab);
  const bh = ctx.bhNew(() => {
    Atomics.store(times, PROBE_T1, process.hrtime.bigint());
    Atomics.store(words, PROBE_CPU, currentCpu());
    Atomics.add(words, PROBE_DONE, 1);
    Atomics.notify(words, PROBE_DONE);
  });
  return { bh: bh.ref() };
}
