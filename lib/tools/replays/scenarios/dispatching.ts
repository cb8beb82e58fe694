// eabc977973 (QEMU 2.4, 2015): "AioContext: fix broken ctx->dispatching optimization".
//
// QEMU 2.1-2.3 (0ceb849bd3) skipped the eventfd write in aio_notify() whenever
// ctx->dispatching was set, reasoning "whoever is dispatching will soon poll again". But the
// flag belongs to the context, not to the thread about to sleep: a vCPU thread running a
// nested aio_poll() (flash emulation -> blk_write()) sets it while the iothread, a GSource
// user, sleeps in poll(-1). A thread-pool completion scheduled meanwhile sets
// bh->scheduled = 1 and kicks nobody; later completions see scheduled == 1 and do nothing.
// The iothread sleeps forever with a bottom half pending (RHBZ 1184405, aarch64 KVM, where
// infinite timeouts were common).
//
// The fix replaced the flag with notify_me: "is any thread in the prepare or poll phase?",
// bit 0 for the GSource (set between prepare and check), += 2 per blocking aio_poll.
//
// Forced timing: the vCPU thread pauses inside its dispatch phase (the device callback)
// while the worker completes; the iothread is asleep, as it usually is.
import { W } from '../../../aio/shared-state';
import { R } from '../memory';
import { MiniCtx } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';

const COMPLETION_BH = 0;
const S_VCPU_IN_DISPATCH = 1;
const S_WORKER_SCHEDULED = 2;
const S_VCPU_DONE = 3;

/** aio_notify(): 2.1-2.3 tests ctx->dispatching; the fix tests notify_me. */
function aioNotify(ctx: MiniCtx): void {
  ctx.countNotify();
  // smp_mb(): every Atomics access is sequentially consistent.
  if (ctx.fixed ? ctx.load(W.NOTIFY_ME) !== 0 : ctx.m.get(R.DISPATCHING) === 0) ctx.notifierSet();
}

/** qemu_bh_schedule(): only a 0 -> 1 transition of bh->scheduled notifies. */
function bhSchedule(ctx: MiniCtx, bh: number): void {
  if (ctx.bhMarkScheduled(bh)) aioNotify(ctx);
}

/** aio_dispatch(): bottom halves, then fd handlers (ctx->notifier's io_read clears it). */
function dispatch(ctx: MiniCtx, revents: number[], fds: Array<{ fd: number }>, deviceCallback?: () => void): void {
  ctx.bhPoll(() => {
    // thread_pool_completion_bh: completes the request (counted in BH_RUNS).
  });
  fds.forEach((e, i) => {
    if (!revents[i]) return;
    if (e.fd === ctx.efd) ctx.notifierTestAndClear();
  });
  deviceCallback?.();
}

/** The iothread: QEMU's main loop, with the AioContext as a GSource (prepare/poll/check/dispatch). */
function iothread({ m }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  while (!ctx.shutdown) {
    // aio_ctx_prepare: the fix announces the GSource in notify_me bit 0; 2.3 announced nothing.
    if (ctx.fixed) Atomics.or(ctx.w, W.NOTIFY_ME, 1);
    ctx.beginPoll();
    const timeout = ctx.computeTimeout();
    const fds = ctx.buildFdSet();
    const revents = ctx.ppoll(fds, timeout); // g_poll
    // aio_ctx_check
    if (ctx.fixed) Atomics.and(ctx.w, W.NOTIFY_ME, ~1);
    ctx.endPoll();
    dispatch(ctx, revents, fds); // aio_ctx_dispatch
  }
}

/** A vCPU thread: one nested, non-blocking aio_poll() on the same context. */
function vcpu({ m, sched, tidOf }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  sched.waitParked(tidOf('home'), 'the iothread asleep in poll');
  // aio_poll(ctx, blocking = false)
  const was = m.get(R.DISPATCHING);
  if (!ctx.fixed) m.set(R.DISPATCHING, 1); // aio_set_dispatching(ctx, !blocking)
  const fds = ctx.buildFdSet();
  const revents = ctx.ppoll(fds, 0);
  if (!ctx.fixed) m.set(R.DISPATCHING, 1); // aio_set_dispatching(ctx, true)
  dispatch(ctx, revents, fds, () => {
    // The device callback of the vCPU's dispatch (pflash write -> blk_write): it runs
    // while a thread-pool worker completes a request.
    sched.reach(S_VCPU_IN_DISPATCH);
    sched.await(S_WORKER_SCHEDULED, 'the worker to schedule its completion');
  });
  if (!ctx.fixed) m.set(R.DISPATCHING, was); // aio_set_dispatching(ctx, was_dispatching)
  sched.reach(S_VCPU_DONE);
}

/** A thread-pool worker: completes a request by scheduling the completion BH, twice. */
function worker({ m, sched }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  sched.await(S_VCPU_IN_DISPATCH, 'the vCPU to be dispatching');
  bhSchedule(ctx, COMPLETION_BH);
  sched.reach(S_WORKER_SCHEDULED);
  // A later completion: bh->scheduled is still 1, so it notifies nobody either.
  sched.await(S_VCPU_DONE, 'the vCPU to leave aio_poll');
  bhSchedule(ctx, COMPLETION_BH);
}

export const dispatching: Scenario = {
  id: 'dispatching',
  commit: 'eabc977973',
  year: 2015,
  title: 'aio_notify() skipped while another thread is dispatching (ctx->dispatching)',
  era: 'QEMU 2.1-2.3; fixed in 2.4',
  story:
    'A vCPU thread in a nested aio_poll() sets ctx->dispatching; a thread-pool completion scheduled meanwhile skips the eventfd write, ' +
    'so the iothread asleep in poll(-1) never learns of the pending bottom half.',
  kind: 'bug',
  roles: ['home', 'vcpu', 'worker'],
  device: false,
  expect: { verdict: 'lost', cause: 'no-kick', pending: ['bottom-half'] },
  completed: (m) => m.get(R.BH_RUNS_BASE + COMPLETION_BH) > 0,
  actors: { home: iothread, vcpu, worker },
};
