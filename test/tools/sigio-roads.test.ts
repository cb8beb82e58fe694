// Doctor check 2 compares like with like: its JavaScript SIGIO measurement forces the road
// each signal takes to the relay, and these tests check that the road is the one named,
// from the relay thread's own context switches (/proc/self/task/<tid>/status).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureSigioWake, sigioRelayThread, SigioRoad } from '../../lib/tools/measure/sigio-wake';
import { openSignalRelay } from '../../lib/sys/relay';
import { threadStatus, waitFor } from '../support';

const SAMPLES = 200;

function voluntarySwitches(tid: number): number {
  return Number(threadStatus(tid).voluntary_ctxt_switches);
}

async function measure(road: SigioRoad) {
  return measureSigioWake({ road, samples: SAMPLES, gapUs: 50, boundMs: 1000, maxMs: 60_000 });
}

test('SIGIO roads: the sigwait road goes through the relay thread, the handler road never wakes it', { timeout: 120_000 }, async () => {
  // A subscription of our own keeps one relay thread alive across both measurements.
  const keep = openSignalRelay(['SIGIO']);
  try {
    const tid = await waitFor(() => sigioRelayThread(), { timeoutMs: 10_000, what: 'the SIGIO relay thread, parked in rt_sigtimedwait({SIGIO})' });

    const before = voluntarySwitches(tid);
    const sigwait = await measure('sigwait');
    const afterSigwait = voluntarySwitches(tid);
    const handler = await measure('handler');
    const afterHandler = voluntarySwitches(tid);

    for (const m of [sigwait, handler]) {
      assert.equal(m.lost, 0);
      assert.equal(m.latencies.length, SAMPLES);
      assert.equal(m.truncated, false);
    }
    // Every sigwait-road signal woke the relay thread from its sigwaitinfo; no handler-road one did.
    // Most: a signal that lands while the relay thread is still running (preempted before it
    // went back to sigwaitinfo, on a loaded machine) is taken without a new voluntary switch.
    assert.ok(afterSigwait - before >= SAMPLES / 2, `relay thread switches on the sigwait road: ${afterSigwait - before}`);
    assert.ok(afterHandler - afterSigwait < SAMPLES / 10, `relay thread switches on the handler road: ${afterHandler - afterSigwait}`);
    assert.equal(keep.read().length, 2 * SAMPLES, 'each signal was relayed once, whichever road');
  } finally {
    keep.close();
  }
});
