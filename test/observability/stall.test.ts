// The stall classifier's pure logic (lib/observability/stall): a context's snapshot and what
// a probe of its descriptors found, classified lost, late or ok.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify, ContextSnapshot } from '../../lib/observability/stall';

function snapshot(over: Partial<ContextSnapshot>): ContextSnapshot {
  return {
    atNs: 10_000_000_000n,
    notifyMe: 2,
    notified: 0,
    externalDisableCnt: 0,
    bhEnqueued: 0,
    polling: 1,
    closed: 0,
    homeTid: 1,
    eventfd: 5,
    relayFd: -1,
    sigioKick: 0,
    timeoutNs: -1n,
    sleepStartNs: 9_000_000_000n,
    lastKickNs: 0n,
    counters: { notifies: 0, kicks: 0, sigioKicks: 0, rescues: 0, polls: 0, sleeps: 1, bhRuns: 0, handlerRuns: 0, timerRuns: 0, bhSchedules: 0 },
    watched: [{ fd: 5, events: 1 }],
    ...over,
  };
}
const probe = { eventfdReadable: false, readyWatched: [], readyUnwatched: [], appPending: [], kicksSincePollStart: null };
const STALL = 500_000_000n;

test('classify: lost vs late vs ok', () => {
  assert.equal(classify(snapshot({}), probe, STALL).cause, 'idle');
  assert.equal(classify(snapshot({ polling: 0 }), probe, STALL).cause, 'running');
  assert.equal(classify(snapshot({ closed: 1 }), probe, STALL).cause, 'closed');
  assert.equal(classify(snapshot({ bhEnqueued: 1, sleepStartNs: 9_800_000_000n }), probe, STALL).cause, 'sleeping');
  const lost = classify(snapshot({ bhEnqueued: 1 }), probe, STALL);
  assert.deepEqual([lost.verdict, lost.cause], ['lost', 'no-kick']);
  assert.equal(lost.asleepMs, 1000);
  const late = classify(snapshot({ notified: 1 }), { ...probe, eventfdReadable: true }, STALL);
  assert.deepEqual([late.verdict, late.cause], ['late', 'wake-in-flight']);
  const eaten = classify(snapshot({ bhEnqueued: 1, lastKickNs: 9_500_000_000n }), probe, STALL);
  assert.deepEqual([eaten.verdict, eaten.cause], ['lost', 'kick-consumed']);
  const stale = classify(snapshot({}), { ...probe, readyUnwatched: [9] }, STALL);
  assert.deepEqual([stale.verdict, stale.cause, stale.pending[0].kind], ['lost', 'stale-fd-set', 'fd-unwatched']);
  const overdue = classify(snapshot({ timeoutNs: 1_000_000n }), probe, STALL);
  assert.deepEqual([overdue.verdict, overdue.cause], ['late', 'timeout-overdue']);
  const app = classify(snapshot({}), { ...probe, appPending: ['stop requested'] }, STALL);
  assert.deepEqual([app.verdict, app.cause, app.pending[0].detail], ['lost', 'no-kick', 'stop requested']);
});
