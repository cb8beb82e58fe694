// A control for the classifier, not a QEMU bug: the final protocol (QEMU 5.2-8.0,
// 601829f88e, DESIGN.md "The protocol"), whose home thread is held off the CPU between
// announcing its sleep and entering ppoll (a descheduled vCPU, a stopped thread, a
// hypervisor that does not run it). A kick is sent and lands in the eventfd; for a while the
// sleeper has work and a wake-up on its way and does not run. That is a late wake-up, not a
// lost one, and the classifier must say so; then the sleeper runs, finds the eventfd
// readable, and does the work.
import { W } from '../../../aio/shared-state';
import { R } from '../memory';
import { MiniCtx } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';

const WORK_BH = 0;
const S_ASLEEP = 1;
const S_KICKED = 2;

/** aio_notify() of QEMU 5.2+: notified always set, then smp_mb(), then notify_me. */
function aioNotifyB4(ctx: MiniCtx): void {
  ctx.countNotify();
  Atomics.store(ctx.w, W.NOTIFIED, 1);
  if (ctx.load(W.NOTIFY_ME) !== 0) ctx.notifierSet();
}

function aioPollB4(ctx: MiniCtx, blocking: boolean, beforeSleep?: () => void): void {
  let timeout = blocking ? ctx.computeTimeout() : 0;
  const useNotifyMe = timeout !== 0;
  if (useNotifyMe) {
    Atomics.add(ctx.w, W.NOTIFY_ME, 2);
    ctx.beginPoll();
    if (Atomics.load(ctx.w, W.NOTIFIED)) timeout = 0; // "Don't block if aio_notify() was called"
  }
  const fds = ctx.buildFdSet();
  const revents = ctx.ppoll(fds, timeout, beforeSleep);
  if (useNotifyMe) {
    Atomics.sub(ctx.w, W.NOTIFY_ME, 2);
    ctx.endPoll();
  }
  Atomics.store(ctx.w, W.NOTIFIED, 0); // aio_notify_accept
  ctx.bhPoll(() => {});
  fds.forEach((e, i) => {
    if (revents[i] && e.fd === ctx.efd) ctx.notifierTestAndClear(); // aio_context_notifier_cb
  });
}

function iothread({ m, sched }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  let first = true;
  while (!ctx.shutdown) {
    aioPollB4(ctx, true, () => {
      if (!first) return;
      first = false;
      sched.reach(S_ASLEEP);
      sched.await(S_KICKED, 'the kick');
      sched.pause(m.get(R.HOLD_MS)); // held off the CPU with the kick in the eventfd
    });
  }
}

function worker({ m, sched }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  sched.await(S_ASLEEP, 'the IOThread to announce its sleep');
  if (ctx.bhMarkScheduled(WORK_BH)) aioNotifyB4(ctx);
  sched.reach(S_KICKED);
}

export const lateWake: Scenario = {
  id: 'late-wake',
  commit: '',
  year: 2020,
  title: 'a kick in flight to a thread that does not run (late, not lost)',
  era: 'QEMU 5.2-8.0 protocol (the fixed one), home thread held off the CPU',
  story:
    'The final protocol kicks correctly; the home thread, held off the CPU between announcing its sleep and ppoll, ' +
    'does not run for a while although the eventfd is readable: a late wake-up, which then completes.',
  kind: 'control',
  roles: ['home', 'worker'],
  device: false,
  expect: { verdict: 'late', cause: 'wake-in-flight', pending: ['notified', 'bottom-half'] },
  completed: (m) => m.get(R.BH_RUNS_BASE + WORK_BH) > 0,
  actors: { home: iothread, worker },
};
