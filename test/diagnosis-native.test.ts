// The native harnesses: wake-up latency (eventfd, SIGIO), the SB litmus test and the
// notify/poll protocol race, on real threads. No latency assertions (qemu-user, VMs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { litmus, nativeRace, nativeWake } from '../lib/diagnosis/harnesses';
import { environmentReport } from '../lib/diagnosis/environment';

const env = environmentReport();
/** Memory-ordering controls must fire on x86_64 hardware (or a VM on it): not emulated, not instrumented. */
const nativeX64 = process.arch === 'x64' && env.emulation === null && env.sanitizer === null;

for (const path of ['eventfd', 'sigio'] as const) {
  test(`native wake-up over ${path}: every round yields a sample, none lost`, { timeout: 120_000 }, async () => {
    const r = await nativeWake(path, { samples: 300, gapUs: 50, boundMs: 50, maxMs: 60_000 });
    assert.equal(r.aborted, false);
    assert.equal(r.lost, 0);
    assert.equal(r.latencies.length, 300);
    assert.ok(r.latencies.every((ns) => ns > 0 && Number.isFinite(ns)));
    assert.ok(r.late <= r.latencies.length);
    assert.ok(r.elapsedNs > 0);
  });
}

test('SB litmus: counts add up; fences on both sides never show r0 = r1 = 0', { timeout: 120_000 }, async () => {
  const both = await litmus('both', { iterations: 200_000, maxMs: 20_000 });
  assert.ok(both.iterations > 0);
  assert.equal(both.bothZero + both.onlyR0Zero + both.onlyR1Zero + both.neitherZero, both.iterations);
  assert.equal(both.bothZero, 0);
  const none = await litmus('none', { iterations: 200_000, maxMs: 20_000 });
  assert.equal(none.bothZero + none.onlyR0Zero + none.onlyR1Zero + none.neitherZero, none.iterations);
  if (nativeX64 && none.pinned) assert.ok(none.bothZero > 0, `x86 store buffering should show in ${none.iterations} iterations`);
});

test('protocol race: the fenced protocol loses nothing', { timeout: 120_000 }, async () => {
  const r = await nativeRace('correct', { races: 20_000, maxMs: 20_000, boundMs: 50 });
  assert.ok(r.races > 0);
  assert.equal(r.lost, 0);
  assert.ok(r.sleeps <= r.races);
});

test('protocol race without barriers: the positive control loses a wake-up (x86_64)', { timeout: 120_000 }, async (t) => {
  const r = await nativeRace('nobarrier', { races: 1e9, maxMs: 10_000, stopAfterLost: true, boundMs: 20 });
  assert.ok(r.races > 0);
  if (!nativeX64) {
    t.diagnostic(`not asserted on ${[process.arch, env.emulation, env.sanitizer].filter(Boolean).join(', ')}: lost ${r.lost} in ${r.races}`);
    return;
  }
  assert.ok(r.lost >= 1, `no lost wake-up in ${r.races} races`);
  assert.ok(r.firstLostNs >= 0 && r.firstLostNs <= 10e9 + 1e9);
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
