// Every replay of QEMU's lost wake-ups: the historical protocol must hang and be
// classified as the scenario says; the fixed protocol, under the same forced timing, must
// get the work done. No fd may leak.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runReplay, ReplayRun } from '../../lib/tools/replays/run';
import { SCENARIOS } from '../../lib/tools/replays/scenarios';
import { openFds } from '../support';

for (const s of SCENARIOS) {
  if (s.kind === 'bug') {
    test(`${s.id} (${s.commit}): the historical protocol hangs, classified ${s.expect.verdict} / ${s.expect.cause}`, { timeout: 90_000 }, async () => {
      const before = openFds();
      const o = await runReplay(s.id, { fixed: false, stallMs: 150 });
      assert.equal(o.pass, true, o.reason);
      assert.equal(o.completed, false);
      assert.equal(o.stall?.verdict, s.expect.verdict);
      assert.equal(o.stall?.cause, s.expect.cause);
      for (const kind of s.expect.pending) assert.ok(o.stall!.pending.some((p) => p.kind === kind), `pending ${kind}`);
      assert.equal(o.stall!.dump.pollTimeout, 'infinite');
      assert.ok(o.stall!.asleepMs >= 150);
      assert.equal(openFds(), before);
    });
  }
  test(`${s.id}: the ${s.kind === 'bug' ? 'fixed protocol completes' : 'control is classified late, then completes'}`, { timeout: 90_000 }, async () => {
    const before = openFds();
    const o = await runReplay(s.id, { fixed: true, stallMs: 150 });
    assert.equal(o.pass, true, o.reason);
    assert.equal(o.completed, true);
    if (s.kind === 'bug') assert.notEqual(o.stall?.verdict, 'lost');
    else assert.equal(o.stall?.verdict, 'late');
    assert.equal(openFds(), before);
  });
}

test('replay arguments are checked', () => {
  assert.throws(() => new ReplayRun('no-such-bug'), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new ReplayRun(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new ReplayRun('stop-flag', { stallMs: 1 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new ReplayRun('stop-flag', { fixed: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a replay can be found by its QEMU commit', async () => {
  const o = await runReplay('321d1dba8b', { fixed: true, stallMs: 100 });
  assert.equal(o.scenario, 'enable-external');
  assert.equal(o.pass, true, o.reason);
});
