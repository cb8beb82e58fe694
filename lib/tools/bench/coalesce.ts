// Coalescing: one and four notifier threads call notify() as fast as they can at an
// IOThread that sleeps whenever it can. Only the notify() whose exchange turns NOTIFIED
// from 0 to 1 may write the eventfd, and only while a poll has announced itself
// (NOTIFY_ME != 0), so the eventfd writes per blocking poll stay <= 1 however many
// threads notify. Runs of each size alternate.
//
// Blocking polls are counted from ctx.stats.polls: the probe IOThread only ever calls
// poll(true) with nothing due, so each of its polls announces itself. ctx.stats.sleeps
// counts fewer: a poll that announced itself and then found NOTIFIED set skips the
// ppoll and is no sleep, yet a notifier that raced it (its exchange before, its load of
// NOTIFY_ME after) legitimately wrote; the next sleep then returns at once. So writes per
// sleep may exceed 1 by that race; writes per blocking poll may not.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { startProbeThread } from '../measure/aio-wake';
import type { CoalesceRow } from './report';
import { COALESCE_BYTES, coalesceViews, K, MAX_NOTIFIERS } from './coalesce-layout';
import { awaitCount } from './wake/method';

export interface CoalesceOptions {
  durationMs: number;
  rounds: number;
  notifiers: number[];
  onProgress?: (text: string) => void;
}

export async function measureCoalescing(o: CoalesceOptions): Promise<CoalesceRow[]> {
  const most = Math.max(...o.notifiers);
  if (most > MAX_NOTIFIERS) throw new RangeError(`bench: at most ${MAX_NOTIFIERS} notifiers`);
  const sab = new SharedArrayBuffer(COALESCE_BYTES);
  const { words, counts } = coalesceViews(sab);
  const { thread } = await startProbeThread('bench-coalesce');
  const workers: Worker[] = [];
  const exits: Promise<void>[] = [];
  const totals = o.notifiers.map((notifiers) => ({ notifiers, ns: 0, notifies: 0, kicks: 0, polls: 0, sleeps: 0 }));
  try {
    for (let i = 0; i < most; i++) {
      const w = new Worker(join(__dirname, 'coalesce-worker.js'), { workerData: { index: i, sab, ctx: thread.ctx } });
      w.on('error', () => {});
      exits.push(new Promise((resolve) => w.once('exit', () => resolve())));
      workers.push(w);
    }
    awaitCount(words, K.READY, most, 'the notifier workers to start', 30_000);
    let run = 0;
    for (let r = 0; r < o.rounds; r++) {
      for (let j = 0; j < totals.length; j++) {
        const t = totals[(j + r) % totals.length];
        o.onProgress?.(`coalescing: ${t.notifiers} notifier(s), round ${r + 1}/${o.rounds}`);
        counts.fill(0);
        Atomics.store(words, K.ACTIVE, t.notifiers);
        const done = Atomics.load(words, K.DONE);
        const s0 = thread.ctx.stats;
        const t0 = process.hrtime.bigint();
        Atomics.store(words, K.GO, ++run);
        Atomics.notify(words, K.GO);
        await sleep(o.durationMs);
        Atomics.store(words, K.STOP, run);
        awaitCount(words, K.DONE, done + most, 'the notifiers to stop');
        const t1 = process.hrtime.bigint();
        const s1 = thread.ctx.stats;
        t.ns += Number(t1 - t0);
        t.notifies += (s1.notifies - s0.notifies) >>> 0;
        t.kicks += (s1.kicks - s0.kicks) >>> 0;
        t.polls += (s1.polls - s0.polls) >>> 0;
        t.sleeps += (s1.sleeps - s0.sleeps) >>> 0;
        let counted = 0;
        for (let i = 0; i < t.notifiers; i++) counted += counts[i];
        if (counted > t.notifies) throw new Error(`bench: ${counted} notify() calls but the context counted ${t.notifies}`);
      }
    }
  } finally {
    Atomics.store(words, K.QUIT, 1);
    Atomics.add(words, K.GO, 1);
    Atomics.notify(words, K.GO);
    await Promise.all(exits);
    await thread.stop();
  }
  return totals.map((t) => ({
    notifiers: t.notifiers,
    durationMs: t.ns / 1e6,
    notifies: t.notifies,
    notifiesPerSec: t.notifies / (t.ns / 1e9),
    kicks: t.kicks,
    blockingPolls: t.polls,
    kicksPerBlockingPoll: perPoll(t.kicks, t.polls),
    sleeps: t.sleeps,
    kicksPerSleep: perPoll(t.kicks, t.sleeps),
  }));
}

function perPoll(kicks: number, polls: number): number {
  return polls === 0 ? (kicks === 0 ? 0 : Infinity) : kicks / polls;
}
