// Wake-ups across threads: the stress run, the seed scenario (aio_enable_external must
// kick a sleeping IOThread), and the SIGIO path.
import { test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AioContextRef, sys } from '../lib';
import { W } from '../lib/aio/shared-state';
import { asleepAgain, asleepForever, fixture, openFdCount, SLOW, startThread, waitFor } from './aio-helpers';

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
  const fds = openFdCount();
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
  const reports = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as { lost: number }));
  await Promise.all(exits);
  const expected = rounds + burst;
  await waitFor(
    () => Array.from({ length: PRODUCERS }, (_, p) => Atomics.load(consumed, p)).every((n) => n === expected),
    30_000,
    'every produced item to be consumed',
  );
  const stats = thread.ctx.stats;
  await thread.stop();
  const lost = reports.reduce((sum, r) => sum + r.lost, 0);
  console.log(
    `# stress ${process.arch}: ${PRODUCERS} producers x (${rounds} ping-pong + ${burst} burst) = ` +
      `${PRODUCERS * expected} items, ${stats.bhSchedules} schedules, ${stats.notifies} notifies, ` +
      `${stats.kicks} kicks, ${stats.sleeps} sleeps, ${stats.bhRuns} drain runs, lost: ${lost}`,
  );
  assert.equal(lost, 0);
  assert.equal(new Int32Array(data.pending).reduce((a, b) => a + b, 0), 0);
  assert.ok(stats.kicks <= stats.notifies);
  await waitFor(() => openFdCount() === fds, 5_000, 'fds released');
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
      await waitFor(() => served() === 1, 10_000, 'the device to be served after enableExternal()');
    } else {
      // The positive control: the old enable leaves the IOThread asleep on its stale set.
      brokenEnableExternal(thread.ctx);
      await assert.rejects(
        waitFor(() => served() === 2, 1_500, 'the device (broken enable)'),
        /timed out/,
        'the broken enable must hang: otherwise this test could not catch a missing kick',
      );
      assert.equal(thread.ctx.stats.polling, true);
      thread.ctx.notify(); // what the fix adds
      await waitFor(() => served() === 2, 10_000, 'the device after the late kick');
    }
  }
  await thread.stop();
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
    thread.ctx.notify();
    await waitFor(() => thread.ctx.stats.rescues === 1, 10_000, 'a rescue');
  } finally {
    Atomics.store(words, W.EVENTFD, eventfd);
    sys.close(decoy);
  }

  // The normal path with sigioKick: both kicks, work done, the process never dies of SIGIO.
  await asleepForever(thread.ctx);
  const sigioKicks = thread.ctx.stats.sigioKicks;
  thread.ctx.notify();
  await waitFor(() => thread.ctx.stats.sigioKicks === sigioKicks + 1, 10_000, 'a SIGIO kick');
  assert.ok(thread.ctx.stats.kicks >= 1);
  await thread.stop();
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
});
