// The native harnesses: wake-up latency (eventfd, SIGIO), the SB litmus test and the
// notify/poll protocol race, on real threads. No latency assertions (qemu-user, VMs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { litmus, nativeRace, nativeWake } from '../../lib/tools/harnesses';
import { controlTogether } from '../../lib/tools/doctor/checks/litmus';
import { controlBarrier, controlNotRun, couldNotTell } from '../support';

const SAMPLES = 300;
// The harness calls a kicked wait lost after max(1 s, 10 x bound): a generous bound keeps a
// descheduled thread on a loaded machine (late, not lost) from being counted as a loss.
const BOUND_MS = 1000;

for (const path of ['eventfd', 'sigio'] as const) {
  test(`native wake-up over ${path}: every round yields a sample, none lost`, { timeout: 180_000 }, async (t) => {
    // maxMs only turns a hang into an abort; a run cut short on a loaded machine cannot tell.
    const r = await nativeWake(path, { samples: SAMPLES, gapUs: 50, boundMs: BOUND_MS, maxMs: 120_000 });
    assert.equal(r.lost, 0);
    if (r.aborted) return couldNotTell(t, `${r.latencies.length} of ${SAMPLES} samples before the time bound`);
    assert.equal(r.latencies.length, SAMPLES);
    assert.ok(r.latencies.every((ns) => ns > 0 && Number.isFinite(ns)));
    // A late wake is a sample past the bound (kicked, woken after it): the count must say so.
    assert.equal(r.late, r.latencies.filter((ns) => ns > BOUND_MS * 1e6).length);
  });
}

/** Iterations in which both threads' stores preceded both loads: evidence that they overlapped. */
const OVERLAPS = 20;

test('SB litmus: fences on both sides never show r0 = r1 = 0; without them x86 does', { timeout: 180_000 }, async (t) => {
  const both = await litmus('both', { iterations: 200_000, maxMs: 60_000 });
  assert.equal(both.bothZero + both.onlyR0Zero + both.onlyR1Zero + both.neitherZero, both.iterations);
  assert.equal(both.bothZero, 0);
  const barrier = controlBarrier();
  if (process.arch !== 'x64' || barrier) return controlNotRun(t, `store buffering is only required of x86_64 hardware (${barrier ?? process.arch})`);
  const none = await litmus('none', { iterations: 200_000, maxMs: 60_000 });
  assert.equal(none.bothZero + none.onlyR0Zero + none.onlyR1Zero + none.neitherZero, none.iterations);
  if (!none.pinned) return controlNotRun(t, 'the two threads could not be pinned to two cores');
  if (none.bothZero === 0 && none.neitherZero < OVERLAPS) {
    return couldNotTell(t, `the threads overlapped in ${none.neitherZero} of ${none.iterations} iterations (< ${OVERLAPS}): a busy machine`);
  }
  assert.ok(none.bothZero > 0, `no store buffering in ${none.iterations} iterations, ${none.neitherZero} of them overlapping`);
});

test('protocol race: the fenced protocol loses nothing', { timeout: 300_000 }, async (t) => {
  // A budget of races; maxMs only bounds a loaded machine's run.
  const r = await nativeRace('correct', { races: 100_000, maxMs: 120_000, boundMs: 50 });
  assert.equal(r.lost, 0, `${r.lost} lost wake-ups in ${r.races} races`);
  if (r.races < 100_000) t.diagnostic(`${r.races} of 100000 races before the time bound`);
  if (r.races === 0) couldNotTell(t, 'no race ran before the time bound');
});

test('protocol race without barriers: the positive control loses a wake-up (x86_64)', { timeout: 300_000 }, async (t) => {
  const barrier = controlBarrier();
  if (process.arch !== 'x64' || barrier) return controlNotRun(t, `the unfenced protocol is only required to fail on x86_64 hardware (${barrier ?? process.arch})`);
  const RACES = 200_000;
  const r = await nativeRace('nobarrier', { races: RACES, maxMs: 180_000, stopAfterLost: true, boundMs: 20 });
  if (!r.pinned) return controlNotRun(t, 'the two threads could not be pinned to two cores');
  // Only races whose threads ran together can lose a wake-up: few of them is a busy machine.
  if (r.lost === 0 && r.together < controlTogether(RACES)) {
    return couldNotTell(t, `no lost wake-up in ${r.races} races, ${r.together} with both threads running together: a busy machine`);
  }
  assert.ok(r.lost >= 1, `no lost wake-up in ${RACES} races, ${r.together} with both threads running together`);
  assert.ok(r.firstLostNs >= 0 && r.firstLostNs <= r.elapsedNs, 'the first loss happened during the run');
});

test('harness arguments are checked with Node-style errors', () => {
  assert.throws(() => nativeWake('pipe' as never), { code: 'ERR_OUT_OF_RANGE', name: 'RangeError' });
  assert.throws(() => nativeWake('eventfd', { samples: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => nativeWake('eventfd', { samples: '5' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => litmus('both', null as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => litmus('half' as never), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => nativeRace('correct', { pin: 'left' as never }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => nativeRace('correct', { stopAfterLost: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
});
