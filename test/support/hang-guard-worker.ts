// The thread of HangGuard (hang-guard.ts): every 20 ms, each watched context asleep longer
// than hangMs is reported (HangWatchdog) and rescued (a direct eventfd write), once per sleep.
import { parentPort, workerData } from 'node:worker_threads';
import { AioContextRef } from '../../lib';
import { rescueKick, stallReport } from './rescue';

const { shared, hangMs } = workerData as { shared: SharedArrayBuffer; hangMs: number };
const words = new Int32Array(shared, 0, 2);
const bytes = new Uint8Array(shared, 8);
const watched = new Map<AioContextRef, bigint>(); // ref -> start of the sleep last rescued
const hangNs = BigInt(hangMs) * 1_000_000n;

parentPort!.on('message', (m) => watched.set(AioContextRef.from(m), 0n));
setInterval(() => {
  for (const [ref, rescued] of watched) {
    const s = ref.stats;
    if (s.closed) {
      watched.delete(ref);
      continue;
    }
    // sleepStartNs is CLOCK_MONOTONIC, as process.hrtime.bigint() is.
    if (!s.polling || s.sleepStartNs === 0n || s.sleepStartNs === rescued) continue;
    if (process.hrtime.bigint() - s.sleepStartNs <= hangNs) continue;
    const report = Buffer.from(stallReport(ref, hangMs).join('\n')).subarray(0, bytes.length);
    // The report and the count are published before the rescue: the rescued poll returns on
    // the test's thread at once, and its check() must find them (all seq_cst).
    bytes.set(report);
    Atomics.store(words, 1, report.length);
    Atomics.add(words, 0, 1);
    if (!rescueKick(ref.sab)) {
      Atomics.sub(words, 0, 1); // closed meanwhile: no rescue after all
      continue;
    }
    watched.set(ref, s.sleepStartNs);
  }
}, 20);
parentPort!.postMessage('ready');
