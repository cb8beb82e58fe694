// Wake-ups across threads: the stress run, the seed scenario (aio_enable_external must
// kick a sleeping IOThread), and the SIGIO path.
import { test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AioContextRef, sys } from '../../lib';
import { W } from '../../lib/aio/shared-state';
import {
  asleepAgain,
  asleepForever,
  controlNotRun,
  EMULATED,
  fixture,
  openFds,
  SLOW,
  sleep,
  startThread,
  stopThread,
  waitFor,
} from '../support';

const PRODUCERS = 4;

async function startCounter(t: TestContext, producers: number, sigioKick: boolean) {
  const data = {
    pending: new SharedArrayBuffer(4 * producers),
    consumed: new SharedArrayBuffer(4 * (producers + 1)),
  };
  const thread = await startThread(t, { module: fixture('counter-iothread'), data, sigioKick });
  return { thread, data, consumed: new Int32Array(data.consumed) };
}

test('4 threads schedule and notify one IOThread: every item consumed, no wake-up lost', { timeout: 600_000 }, async (t) => {
  const fds = openFds();
  const rounds = SLOW ? 1_000 : 10_000;
  const burst = SLOW ? 10_000 : 100_000;
  const { thread, data, consumed } = await startCounter(t, PRODUCERS, false);
  const { drain } = thread.setupResult as { drain: unknown };
  const workers = Array.from(
    { length: PRODUCERS },
    (_, id) =>
      new Worker(fixture('producer'), {
        workerData: { id, rounds, burst, ...data, drain, ctx: thread.ctx, waitMs: 10_000 },
      }),
  );
  const exits = workers.map((w) => once(w, 'exit')); // listen before they can exit
  type Report = { lost: number; report: string[] | null };
  const reports = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as Report));
  await Promise.all(exits);
  const lost = reports.reduce((sum, r) => sum + r.lost, 0);
  // A producer stops at its first loss, so this comes before waiting for every item.
  assert.equal(lost, 0, `lost wake-ups, the first as the watchdog saw it:\n${reports.find((r) => r.report)?.report?.join('\n')}`);
  const expected = rounds + burst;
  await waitFor(
    () => Array.from({ length: PRODUCERS }, (_, p) => Atomics.load(consumed, p)).every((n) => n === expected),
    { timeoutMs: 30_000, what: 'every produced item to be consumed' },
  );
  const stats = thread.ctx.stats;
  await stopThread(thread);
  console.log(
    `# stress ${process.arch}: ${PRODUCERS} producers x (${rounds} ping-pong + ${burst} burst) = ` +
      `${PRODUCERS * expected} items, ${stats.bhSchedules} schedules, ${stats.notifies} notifies, ` +
      `${stats.kicks} kicks, ${stats.polls} polls, ${stats.sleeps} sleeps, ${stats.bhRuns} drain runs, lost: ${lost}`,
  );
  assert.equal(new Int32Array(data.pending).reduce((a, b) => a + b, 0), 0);
  assertCoalesced(stats);
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: 'fds released' });
});

/**
 * The coalescing bound of notify(): at most one eventfd write per blocking poll that raised
 * NOTIFY_ME, however many threads notify. An IOThread polls only with poll(true), so every
 * poll it counted is such a poll or one that found work due and raised nothing: kicks may
 * not outnumber polls. (stats is read kicks first, and both only grow.)
 */
function assertCoalesced(stats: { kicks: number; polls: number; notifies: number }): void {
  assert.ok(stats.kicks <= stats.polls, `${stats.kicks} eventfd writes for ${stats.polls} polls (${stats.notifies} notifies)`);
}

test('coalescing: 2,000 notifies at a sleeping IOThread write its eventfd at most once per poll', { timeout: 120_000 }, async (t) => {
  const { thread } = await startCounter(t, 0, false);
  await asleepForever(thread.ctx);
  const before = thread.ctx.stats;
  for (let i = 0; i < 2000; i++) thread.ctx.notify();
  await asleepAgain(thread.ctx, before.sleeps);
  const after = thread.ctx.stats;
  assert.equal(after.notifies - before.notifies, 2000);
  // The poll asleep at `before` (already counted in polls) plus those begun since.
  const kicks = after.kicks - before.kicks;
  const polls = after.polls - before.polls + 1;
  assert.ok(kicks >= 1, 'the sleeping IOThread was woken by a kick');
  assert.ok(kicks <= polls, `${kicks} eventfd writes for ${polls} polls`);
  assertCoalesced(after);
  await stopThread(thread);
});

test('notify() aimed at the start of each poll: never a sleep on a pending notification', { timeout: 300_000 }, async (t) => {
  const { thread } = await startCounter(t, 0, false);
  // A budget in events (notifies), not in time: each one a race with a poll's NOTIFY_ME/NOTIFIED.
  const iterations = SLOW ? 20_000 : 200_000;
  const racer = new Worker(fixture('racer'), { workerData: { ctx: thread.ctx, iterations, maxSpin: 3000, stallMs: 1000 } });
  t.after(() => racer.terminate());
  const exited = once(racer, 'exit');
  const [r] = (await once(racer, 'message')) as [{ done: number; report: string[] | null }];
  await exited;
  assert.equal(r.report, null, `a poll slept on a pending notification after ${r.done} races:\n${r.report?.join('\n')}`);
  assert.equal(r.done, iterations);
  await stopThread(thread);
});

/** Replays aio_enable_external() as it was before QEMU 321d1dba8b: no kick. Test code only. */
function brokenEnableExternal(ref: AioContextRef): void {
  Atomics.sub(new Int32Array(ref.sab), W.EXTERNAL_DISABLE_CNT, 1);
}

test('seed: enableExternal() kicks an IOThread asleep on a set without its device', { timeout: 120_000 }, async (t) => {
  const { thread, consumed } = await startCounter(t, 0, false);
  const { deviceWrite } = thread.setupResult as { deviceWrite: number };
  const served = () => Atomics.load(consumed, 0);
  await asleepForever(thread.ctx);

  for (const fixed of [true, false]) {
    thread.ctx.disableExternal();
    const sleeps = thread.ctx.stats.sleeps;
    sys.write(deviceWrite, Buffer.from('!')); // the device becomes readable while disabled
    // It wakes (the device was in its set), serves nothing, and sleeps again without it.
    await asleepAgain(thread.ctx, sleeps);
    await sleep(200);
    assert.equal(served(), fixed ? 0 : 1, 'served while external clients were disabled');
    assert.equal(thread.ctx.stats.polling, true);

    if (fixed) {
      thread.ctx.enableExternal();
      await waitFor(() => served() === 1, { timeoutMs: 10_000, what: 'the device to be served after enableExternal()' });
    } else {
      // The positive control: the old enable leaves the IOThread asleep on its stale set.
      brokenEnableExternal(thread.ctx);
      await assert.rejects(
        waitFor(() => served() === 2, { timeoutMs: 1_500, what: 'the device (broken enable)' }),
        /timed out/,
        'the broken enable must hang: otherwise this test could not catch a missing kick',
      );
      assert.equal(thread.ctx.stats.polling, true);
      thread.ctx.notify(); // what the fix adds
      await waitFor(() => served() === 2, { timeoutMs: 10_000, what: 'the device after the late kick' });
    }
  }
  await stopThread(thread);
});

test('SIGIO path: the signal alone wakes a sleeping IOThread; a rescue is counted only for its own lost kick', { timeout: 120_000 }, async (t) => {
  const { thread } = await startCounter(t, 1, true);
  const words = new Int32Array(thread.ctx.sab);
  assert.equal(Atomics.load(words, W.SIGIO_KICK), 1);
  await asleepForever(thread.ctx);

  // A SIGIO from elsewhere ends the sleep (the relay pipe is polled) but is no rescue.
  const sleeps = thread.ctx.stats.sleeps;
  sys.kill(sys.getpid(), 'SIGIO');
  await asleepAgain(thread.ctx, sleeps);
  assert.equal(thread.ctx.stats.rescues, 0);

  // Replay of a notify() whose eventfd write was lost: the kick writes an eventfd nobody
  // polls, and only the second path of the seed, SIGIO -> relay -> pipe, wakes the thread.
  const eventfd = Atomics.load(words, W.EVENTFD);
  const decoy = sys.eventfd();
  Atomics.store(words, W.EVENTFD, decoy);
  try {
    const before = thread.ctx.stats.sleeps;
    thread.ctx.notify();
    await asleepAgain(thread.ctx, before); // the signal alone ended that sleep
    if (EMULATED) controlNotRun(t, `the rescue count (${EMULATED}: qemu-user may re-raise a queued signal as SI_USER, dropping the sigqueue value that tags a rescue)`);
    else await waitFor(() => thread.ctx.stats.rescues === 1, { timeoutMs: 10_000, what: 'a rescue' });
  } finally {
    Atomics.store(words, W.EVENTFD, eventfd);
    sys.close(decoy);
  }

  // The normal path with sigioKick: both kicks, work done, the process never dies of SIGIO.
  await asleepForever(thread.ctx);
  const sigioKicks = thread.ctx.stats.sigioKicks;
  thread.ctx.notify();
  await waitFor(() => thread.ctx.stats.sigioKicks === sigioKicks + 1, { timeoutMs: 10_000, what: 'a SIGIO kick' });
  assert.ok(thread.ctx.stats.kicks >= 1);
  await stopThread(thread);
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
});
