// HangWatchdog: on a real IOThread it stays silent (idle, and under a stress of bottom
// halves); on every historical replay it reports the stall, lost or late, as the replay
// expects; on the fixed protocols it reports no lost wake-up.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { AioContext } from '../../lib/aio/context';
import { AioContextRef } from '../../lib/aio/context-ref';
import { startProbeThread } from '../../lib/tools/measure/aio-wake';
import { probeViews, PROBE_DONE } from '../../lib/tools/measure/probe-iothread';
import { R } from '../../lib/tools/replays/memory';
import { ReplayRun } from '../../lib/tools/replays/run';
import { SCENARIOS } from '../../lib/tools/replays/scenarios';
import { StallReport } from '../../lib/observability/stall';
import { HangWatchdog } from '../../lib/observability/watchdog';
import { asleepForever, sleep, waitFor } from '../support';

test('HangWatchdog: no false alarm on an idle IOThread nor under a stress of bottom halves', { timeout: 120_000 }, async () => {
  const { thread, sab, bh } = await startProbeThread('watchdog-stress');
  const stalls: StallReport[] = [];
  const dog = new HangWatchdog(thread.ctx, { stallMs: 100, onStall: (r) => stalls.push(r) });
  try {
    // Idle: asleep past stallMs with nothing pending is not a stall ('idle', verdict ok).
    await asleepForever(thread.ctx);
    const idle = await waitFor(() => {
      const r = dog.check();
      return r.cause === 'idle' ? r : null;
    }, { what: 'the watchdog to call the sleeping IOThread idle' });
    assert.equal(idle.verdict, 'ok');
    const { words } = probeViews(sab);
    for (let i = 1; i <= 3000; i++) {
      bh.schedule();
      while (Atomics.load(words, PROBE_DONE) < i) Atomics.wait(words, PROBE_DONE, i - 1, 50);
      if (i % 500 === 0) await sleep(1); // let the watchdog's timer run
    }
    await sleep(300);
    // A loaded machine may leave a kicked thread unscheduled past stallMs: a late stall is
    // a true report. A lost one would be a false alarm (every bottom half above ran).
    assert.deepEqual(stalls.filter((r) => r.verdict === 'lost'), []);
    assert.equal(dog.stalls, stalls.length);
  } finally {
    dog.close();
    await thread.stop();
  }
});

for (const s of SCENARIOS) {
  const variant = s.kind === 'bug' ? 'historical' : 'control';
  test(`HangWatchdog reports ${s.id} (${variant}) as ${s.expect.verdict} / ${s.expect.cause}`, { timeout: 90_000 }, async () => {
    const run = new ReplayRun(s.id, { fixed: s.kind === 'control', stallMs: 150 });
    const device = run.memory.get(R.DEVICE_FD);
    const ref = AioContextRef.from({ kind: 'AioContextRef', sab: run.memory.sab, name: s.id });
    const dog = new HangWatchdog(ref, { stallMs: 150, fds: device >= 0 ? [device] : [], pending: () => s.appPending?.(run.memory) ?? [] });
    try {
      run.start();
      const [report] = (await once(dog, 'stall')) as [StallReport];
      assert.equal(report.verdict, s.expect.verdict);
      assert.equal(report.cause, s.expect.cause);
      for (const kind of s.expect.pending) assert.ok(report.pending.some((p) => p.kind === kind), kind);
      assert.ok(report.asleepMs >= 150);
      assert.equal(report.dump.pollTimeout, 'infinite');
      assert.equal(report.dump.homeTid, run.tids().home);
    } finally {
      dog.close();
      await run.shutdown();
    }
  });
}

test('HangWatchdog stays quiet on every fixed protocol', { timeout: 120_000 }, async () => {
  for (const s of SCENARIOS.filter((x) => x.kind === 'bug')) {
    const run = new ReplayRun(s.id, { fixed: true, stallMs: 100 });
    const device = run.memory.get(R.DEVICE_FD);
    const ref = AioContextRef.from({ kind: 'AioContextRef', sab: run.memory.sab, name: s.id });
    const stalls: StallReport[] = [];
    const dog = new HangWatchdog(ref, { stallMs: 100, fds: device >= 0 ? [device] : [], onStall: (r) => stalls.push(r) });
    try {
      run.start();
      const o = await run.outcome();
      assert.equal(o.pass, true, o.reason);
      await sleep(250);
      assert.deepEqual(stalls.filter((r) => r.verdict === 'lost'), [], s.id);
    } finally {
      dog.close();
      await run.shutdown();
    }
  }
});

test('HangWatchdog: arguments, close, and a closed context', async () => {
  assert.throws(() => new HangWatchdog({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  const ctx = new AioContext({ sigioKick: false });
  const ref = ctx.ref();
  assert.throws(() => new HangWatchdog(ref, { stallMs: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new HangWatchdog(ref, { onStall: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new HangWatchdog(ref, { fds: [-1] }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new HangWatchdog(ref, { fds: 3 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  const dog = new HangWatchdog(ref, { stallMs: 10, intervalMs: 5 });
  assert.equal(dog.check().cause, 'running'); // this context is not polling
  ctx.close();
  await waitFor(() => dog.closed, { what: 'the watchdog to stop by itself once its context is closed' });
  dog.close();
  dog.close();
});
