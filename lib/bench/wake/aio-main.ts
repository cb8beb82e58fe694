// AioContext, main thread -> IOThread: the doctor's measurement (Bh.schedule() from this
// thread to the probe IOThread's bottom half), one call per round.
import { measureAioWake } from '../../diagnosis/measure/aio-wake';
import { WakeMethod, WakeRound } from './method';

export function aioMainMethod(): WakeMethod {
  return {
    id: 'aio-main',
    label: 'AioContext main -> IOThread (bh.schedule)',
    async start() {},
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      const m = await measureAioWake({ samples, gapUs, boundMs: 20, maxMs: 60_000 });
      if (m.truncated) throw new Error('bench: the AioContext wake measurement ran out of time');
      return { latencies: m.latencies, lost: m.lost };
    },
    async stop() {},
  };
}
