// The racing side of the AioContext protocol check: schedules the probe IOThread's bottom
// half at a random point while the IOThread returns from the previous run to its next
// sleep (the window between computing its timeout, raising notify_me and entering ppoll),
// and classifies every wait that outlives the bound.
import { parentPort, workerData } from 'node:worker_threads';
import { BhRef, BhRefData } from '../../aio/bottom-half';
import { SharedState, W } from '../../aio/shared-state';
import { eventfdWrite } from '../../sys/fd';
import { contextMonitor } from './aio-wake';
import { probeViews, PROBE_DONE } from './probe-iothread';

interface RaceData {
  sab: SharedArrayBuffer;
  ctxSab: SharedArrayBuffer;
  bh: BhRefData;
  races: number;
  boundMs: number;
  maxMs: number;
  progress: Int32Array;
}

const d = workerData as RaceData;
const { words } = probeViews(d.sab);
const state = new SharedState(d.ctxSab);
const bh = BhRef.from(d.bh);
const monitor = contextMonitor(state, d.boundMs);
const hardMs = Math.max(2000, 10 * d.boundMs);
let lost = 0;
let late = 0;
let races = 0;
let seed = (Date.now() ^ 0x9e3779b9) >>> 0;
const rand = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
const sleeps0 = state.counter(W.SLEEPS);
const kicks0 = state.counter(W.KICKS);
const start = process.hrtime.bigint();
const deadline = start + BigInt(d.maxMs) * 1_000_000n;
let sink = 0;
const base = Atomics.load(words, PROBE_DONE);
for (let i = 1; i <= d.races; i++) {
  if ((i & 255) === 0) {
    Atomics.store(d.progress, 0, i);
    if (process.hrtime.bigint() > deadline) break;
  }
  // A random delay after the previous run: lands the schedule anywhere in the IOThread's
  // way back to sleep.
  const spin = rand() & 2047;
  for (let k = 0; k < spin; k++) sink += k;
  bh.schedule();
  const target = base + i;
  let n = 0;
  while (Atomics.load(words, PROBE_DONE) < target && ++n < 20000) {
    // spin: the IOThread usually runs the bottom half within microseconds
  }
  let waited = 0;
  let outcome: 'woke' | 'late' | 'lost' = 'woke';
  while (Atomics.load(words, PROBE_DONE) < target) {
    Atomics.wait(words, PROBE_DONE, target - 1, d.boundMs);
    if (Atomics.load(words, PROBE_DONE) >= target) break;
    waited += d.boundMs;
    // Pending for the bound: lost if no kick reached the sleep, otherwise late (a kick in
    // flight, or the IOThread off the CPU).
    if (outcome === 'woke') {
      if (monitor.classifyNow().verdict === 'lost') {
        outcome = 'lost';
        eventfdWrite(Atomics.load(state.words, W.EVENTFD), 1n); // rescue, to go on racing
      } else {
        outcome = 'late';
      }
    }
    if (waited > hardMs) throw new Error(`the probe IOThread did not run its bottom half within ${hardMs} ms`);
  }
  if (outcome === 'lost') lost++;
  else if (outcome === 'late') late++;
  races++;
}
parentPort!.postMessage({
  races,
  lost,
  late,
  sleeps: (state.counter(W.SLEEPS) - sleeps0) >>> 0,
  kicks: (state.counter(W.KICKS) - kicks0) >>> 0,
  elapsedNs: Number(process.hrtime.bigint() - start),
  sink: sink & 1,
});
