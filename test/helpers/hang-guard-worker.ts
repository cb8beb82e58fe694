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
    // Report and count before the kick: the poll it ends returns at once and its thread reads
    // the count next. Pairs with HangGuard.rescues/check() (seq_cst stores and add here, then
    // the eventfd write; that thread's loads come after its ppoll returns). A context closed
    // meanwhile is not kicked, and its count is taken back.
    bytes.set(report);
    Atomics.store(words, 1, report.length);
    Atomics.add(words, 0, 1);
    if (!rescueKick(ref.sab)) {
      Atomics.sub(words, 0, 1);
      continue;
    }
    watched.set(ref, s.sleepStartNs);
  }
}, 20);
parentPort!.postMessage('ready');
