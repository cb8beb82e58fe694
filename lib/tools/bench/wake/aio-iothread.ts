// AioContext, IOThread -> IOThread: a sending IOThread schedules the bottom half of a
// receiving one (probe-cpu.ts) while the receiver sleeps in ppoll.
import { join } from 'node:path';
import { BhRef } from '../../../aio/bottom-half';
import { IOThread } from '../../../aio/iothread';
import { C, CONTROL_BYTES, SenderData } from './aio-sender';
import { awaitCount, WakeMethod, WakeRound } from './method';
import { startCpuProbe } from './probe-cpu-thread';

const SENDER_MODULE = join(__dirname, 'aio-sender.js');

export function aioIOThreadMethod(maxSamples: number): WakeMethod {
  let receiver: IOThread | null = null;
  let sender: IOThread | null = null;
  let senderBh: BhRef | null = null;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  const results = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, maxSamples)));
  const cpus = new Int32Array(new SharedArrayBuffer(8 * Math.max(1, maxSamples)));
  return {
    id: 'aio-iothread',
    label: 'AioContext IOThread -> IOThread (bh.schedule)',
    async start() {
      const rx = await startCpuProbe('bench-wake-rx');
      receiver = rx.thread;
      const data: SenderData = {
        control: control.buffer as SharedArrayBuffer,
        results: results.buffer as SharedArrayBuffer,
        cpus: cpus.buffer as SharedArrayBuffer,
        receiverState: rx.thread.ctx.sab,
        probe: rx.sab,
        target: rx.bh,
      };
      sender = await IOThread.start({ module: SENDER_MODULE, data, name: 'bench-wake-tx', sigioKick: false });
      senderBh = (sender.setupResult as { bh: BhRef }).bh;
    },
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      if (!senderBh) throw new Error('bench: IOThread -> IOThread method not started');
      if (samples > results.length) throw new RangeError(`bench: at most ${results.length} samples per round`);
      Atomics.store(control, C.SAMPLES, samples);
      Atomics.store(control, C.GAP_US, gapUs);
      const done = Atomics.load(control, C.ROUNDS_DONE);
      senderBh.schedule();
      awaitCount(control, C.ROUNDS_DONE, done + 1, 'the sending IOThread to finish its round', 60_000 + samples * 100);
      if (Atomics.load(control, C.FAILED) !== 0) throw new Error('bench: the IOThread -> IOThread round timed out');
      const pairs = cpus.slice(0, 2 * samples);
      return {
        latencies: results.slice(0, samples),
        sendCpus: pairs.filter((_, i) => i % 2 === 0),
        wakeCpus: pairs.filter((_, i) => i % 2 === 1),
        lost: null,
      };
    },
    async stop() {
      await sender?.stop();
      await receiver?.stop();
      sender = receiver = null;
      senderBh = null;
    },
  };
}
