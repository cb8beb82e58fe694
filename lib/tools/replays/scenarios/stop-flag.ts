// 2362a28ea1 (QEMU 2.12, 2017): "iothread: fix iothread_stop() race condition" (and
// 69de48445a, 2019, the same race in a test's iothread_join()).
//
//   iothread_run:  while (!atomic_read(&iothread->stopping)) aio_poll(ctx, true);
//   iothread_stop: iothread->stopping = true; aio_notify(ctx); qemu_thread_join(...);
//
// If the IOThread has just read stopping == false but not yet raised notify_me, the
// aio_notify() sees notify_me == 0 and does nothing (before 5.2 it does not even set
// `notified`); the IOThread then computes an infinite timeout and sleeps forever, and the
// main thread waits in join forever. aio_notify() guarantees that fds, bottom halves and
// timers are re-evaluated before the next blocking poll; an arbitrary flag is not covered.
//
// The fix sets the flag from a oneshot bottom half run inside the IOThread: a scheduled BH
// is re-evaluated (the timeout becomes 0), so the loop sees `stopping` on its next turn.
//
// Forced timing: the IOThread pauses between its check of `stopping` and aio_poll.
import { R, ReplayMemory } from '../memory';
import { MiniCtx } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';
import { aioNotifyB1, aioPollB1 } from './enable-external';

const STOP_BH = 0;
const S_HOME_CHECKED = 1;
const S_STOP_ISSUED = 2;

function iothread({ m, sched }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  let first = true;
  try {
    while (!m.get(R.STOPPING) && !ctx.shutdown) {
      if (first) {
        first = false;
        sched.reach(S_HOME_CHECKED); // read stopping == false ...
        sched.await(S_STOP_ISSUED, 'the stop request'); // ... and got descheduled here
      }
      aioPollB1(ctx, true, {
        acceptOnlyIfBlocking: false, // 2.11
        bh: (i) => {
          if (i === STOP_BH) m.set(R.STOPPING, 1); // iothread_stop_bh
        },
      });
    }
  } finally {
    m.set(R.HOME_DONE, 1);
    m.set(R.STOP_REQUESTED, 0);
    Atomics.notify(m.r, R.HOME_DONE);
  }
}

function main({ m, sched }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  sched.await(S_HOME_CHECKED, 'the IOThread to check its stop flag');
  m.set(R.STOP_REQUESTED, 1);
  if (ctx.fixed) {
    // aio_bh_schedule_oneshot(ctx, iothread_stop_bh, iothread)
    if (ctx.bhMarkScheduled(STOP_BH)) aioNotifyB1(ctx);
  } else {
    m.set(R.STOPPING, 1);
    aioNotifyB1(ctx);
  }
  sched.reach(S_STOP_ISSUED);
  // qemu_thread_join(&iothread->thread)
  sched.until(() => m.get(R.HOME_DONE) === 1, 'the IOThread to exit (join)');
}

export const stopFlag: Scenario = {
  id: 'stop-flag',
  commit: '2362a28ea1',
  year: 2017,
  title: 'a stop flag set with aio_notify() and no bottom half',
  era: 'QEMU 2.4-2.11; fixed in 2.12',
  story:
    'The IOThread reads stopping == false, then the main thread sets it and calls aio_notify() while notify_me is 0, ' +
    'which does nothing; the IOThread computes an infinite timeout and sleeps while the main thread waits to join it.',
  kind: 'bug',
  roles: ['home', 'main'],
  device: false,
  expect: { verdict: 'lost', cause: 'no-kick', pending: ['app'] },
  completed: (m) => m.get(R.HOME_DONE) === 1,
  appPending: (m: ReplayMemory) =>
    m.get(R.STOP_REQUESTED) && !m.get(R.HOME_DONE) ? ['a stop was requested (iothread->stopping) and the IOThread has not left its loop'] : [],
  actors: { home: iothread, main },
};

