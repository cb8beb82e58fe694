// AioContext, main thread -> IOThread: this thread schedules the bottom half of a probe
// IOThread (probe-cpu.ts) that sleeps in ppoll. Per sample it does what the doctor's
// measureAioWake() does (lib/tools/measure/aio-wake.ts): wait for the announced sleep
// (POLLING, looked at every 20 µs), the gap, the timestamp, Bh.schedule(), then
// Atomics.wait on the probe's count in steps of the bound, classifying a bottom half
// still pending as lost or late, and rescuing a lost one with an eventfd write. Unlike the
// doctor's, which starts a fresh IOThread per call (its poll() then runs in V8's lower
// tiers for about a thousand wake-ups), the probe thread lives across rounds, as every
// other method's threads do, and is warmed up once by the bench's warm-up round.
import { SharedState, W } from '../../../aio/shared-state';
import { eventfdWrite } from '../../../sys/fd';
import { currentCpu } from '../../harnesses';
import { contextMonitor } from '../../measure/aio-wake';
import { probeViews, PROBE_DONE, PROBE_T1 } from '../../measure/probe-iothread';
import { yieldToLoop } from '../../measure/wake-result';
import type { StallMonitor } from '../../../observability/monitor';
import { awaitFlag, pauseMs, WakeMethod, WakeRound } from './method';
import { PROBE_CPU } from './probe-cpu';
import { CpuProbe, startCpuProbe } from './probe-cpu-thread';

const BOUND_MS = 20;
const HARD_MS = Math.max(1000, 10 * BOUND_MS);

export function aioMainMethod(): WakeMethod {
  let probe: CpuProbe | null = null;
  let state: SharedState | null = null;
  let monitor: StallMonitor | null = null;
  return {
    id: 'aio-main',
    label: 'AioContext main -> IOThread (bh.schedule)',
    async start() {
      probe = await startCpuProbe('bench-wake-main');
      state = new SharedState(probe.thread.ctx.sab);
      monitor = contextMonitor(state, BOUND_MS);
    },
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      if (!probe || !state || !monitor) throw new Error('bench: main -> IOThread method not started');
      const { times, words } = probeViews(probe.sab);
      const latencies = new Float64Array(samples);
      const sendCpus = new Int32Array(samples);
      const wakeCpus = new Int32Array(samples);
      let lost = 0;
      for (let k = 0; k < samples; k++) {
        awaitFlag(state.words, W.POLLING, 1, 'the probe IOThread to sleep');
        pauseMs(gapUs / 1000);
        const before = Atomics.load(words, PROBE_DONE);
        sendCpus[k] = currentCpu();
        const t0 = process.hrtime.bigint();
        probe.bh.schedule();
        let waited = 0;
        let wasLost = false;
        while (Atomics.load(words, PROBE_DONE) <= before) {
          Atomics.wait(words, PROBE_DONE, before, BOUND_MS);
          waited += BOUND_MS;
          if (Atomics.load(words, PROBE_DONE) > before) break;
          // Pending for the bound: lost (no kick reached the sleep), or late.
          if (!wasLost && monitor.classifyNow().verdict === 'lost') {
            wasLost = true;
            lost++;
            eventfdWrite(Atomics.load(state.words, W.EVENTFD), 1n); // rescue, to go on measuring
          }
          if (waited > HARD_MS) throw new Error(`bench: the probe IOThread did not run its bottom half within ${HARD_MS} ms`);
        }
        latencies[k] = Number(Atomics.load(times, PROBE_T1) - t0);
        wakeCpus[k] = Atomics.load(words, PROBE_CPU);
        if (k % 200 === 199) await yieldToLoop();
      }
      return { latencies, sendCpus, wakeCpus, lost };
    },
    async stop() {
      await probe?.thread.stop();
      probe = null;
      state = null;
      monitor = null;
    },
  };
}
