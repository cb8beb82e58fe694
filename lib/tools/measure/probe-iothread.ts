// The IOThread module of the doctor's AioContext measurements: one bottom half that
// timestamps its run and counts it in shared memory, so the thread that scheduled it can
// time the wake-up and wait for the run.
import type { AioContext } from '../../aio/context';
import { gettid } from '../../sys/signals';

/** Layout of the probe's SharedArrayBuffer. */
export const PROBE_BYTES = 32;
/** BigInt64 slot: process.hrtime.bigint() when the bottom half last ran. */
export const PROBE_T1 = 0;
/** Int32 word (byte offset 16): bottom-half runs. */
export const PROBE_DONE = 4;

export function probeViews(sab: SharedArrayBuffer): { times: BigInt64Array; words: Int32Array } {
  return { times: new BigInt64Array(sab, 0, 2), words: new Int32Array(sab) };
}

export function setup(ctx: AioContext, data: { sab: SharedArrayBuffer }): { bh: unknown; tid: number } {
  const { times, words } = probeViews(data.sab);
  const bh = ctx.bhNew(() => {
    Atomics.store(times, PROBE_T1, process.hrtime.bigint());
    Atomics.add(words, PROBE_DONE, 1);
    Atomics.notify(words, PROBE_DONE);
  });
  return { bh: bh.ref(), tid: gettid() };
}
