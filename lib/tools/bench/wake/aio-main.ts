// AioContext, main thread -> IOThread: the doctor's measurement (Bh.schedule() from this
// thread to the probe IOThread's bottom half), one call per round.
//
// measureAioWake() starts a fresh probe IOThread at every call, whose poll() runs in
// V8's lower tiers for about its first thousand wake-ups (measured: ~30-36 µs per wake
// in the first 500, ~20 µs from the 1000th on). The other methods keep their threads
// across rounds, and are warmed up once; so each call here takes `warmup` more samples
// (the bench's warm-up size, 1000 by default) and drops them, and what is compared is
// the steady state of every path.
import { measureAioWake } from '../../measure/aio-wake';
import { WakeMethod, WakeRound } from './method';

export function aioMainMethod(warmup: number): WakeMethod {
  return {
    id: 'aio-main',
    label: 'AioContext main -> IOThread (bh.schedule)',
    async start() {},
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      const m = await measureAioWake({ samples: warmup + samples, gapUs, boundMs: 20, maxMs: 120_000 });
      if (m.truncated) throw new Error('bench: the AioContext wake measurement ran out of time');
      return { latencies: m.latencies.slice(warmup), lost: m.lost };
    },
    async stop() {},
  };
}
