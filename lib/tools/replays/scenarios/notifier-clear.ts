// 21a03d17f2 (QEMU 2.4, 2015): "AioContext: fix broken placement of
// event_notifier_test_and_clear".
//
// With notify_me in place (eabc977973), ctx->notifier was still cleared by its io_read
// handler, i.e. during dispatch, after the bottom halves ran. "An aio_poll could 'eat' the
// notification before the main I/O thread invokes ppoll()": a vCPU thread's aio_poll is
// woken by a first kick and runs the completion BH; meanwhile the iothread computes an
// infinite timeout, and a second completion kicks it; then the vCPU's handler phase reads
// the eventfd, consuming both kicks, and the iothread enters ppoll on an empty eventfd with
// a bottom half pending.
//
// The fix clears the notifier right after poll returns, before any dispatch, and registers
// a dummy io_read, so a kick that arrives during dispatch stays in the eventfd.
//
// Forced timing: the vCPU's first BH runs while the iothread prepares to sleep and the
// worker completes a second request; the iothread enters ppoll after the vCPU's handlers.
import { W } from '../../../aio/shared-state';
import { R } from '../memory';
import { MiniCtx, PollEntry } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';

// BH indices: BHs run in index order, and BH2 was inserted at the head of the list while
// the vCPU was already past it, so BH2 gets the lower index.
const BH2 = 0;
const BH1 = 1;
const S_VCPU_IN_BH1 = 1;
const S_HOME_READY = 2;
const S_BH2_SCHEDULED = 3;
const S_VCPU_DONE = 4;

function aioNotify(ctx: MiniCtx): void {
  ctx.countNotify();
  if (ctx.load(W.NOTIFY_ME) !== 0) ctx.notifierSet();
}

function bhSchedule(ctx: MiniCtx, bh: number): void {
  if (ctx.bhMarkScheduled(bh)) aioNotify(ctx);
}

interface Hooks {
  /** Runs after the timeout is computed, before ppoll. */
  beforePoll?: () => void;
  /** The callback of bottom half `i`. */
  bh?: (i: number) => void;
}

/** aio_poll() of QEMU 2.4-rc (after eabc977973): notify_me, then poll, then dispatch. */
function aioPoll(ctx: MiniCtx, blocking: boolean, hooks: Hooks = {}): boolean {
  if (blocking) Atomics.add(ctx.w, W.NOTIFY_ME, 2);
  const fds: PollEntry[] = ctx.buildFdSet();
  ctx.beginPoll();
  const timeout = blocking ? ctx.computeTimeout() : 0;
  hooks.beforePoll?.();
  const revents = ctx.ppoll(fds, timeout);
  if (blocking) Atomics.sub(ctx.w, W.NOTIFY_ME, 2);
  ctx.endPoll();
  // The fix: "event_notifier_test_and_clear must be called before processing events".
  if (ctx.fixed) ctx.notifierTestAndClear();
  let progress = ctx.bhPoll((i) => hooks.bh?.(i));
  fds.forEach((e, i) => {
    if (!revents[i]) return;
    if (e.fd === ctx.efd) {
      // 2.3: io_read = event_notifier_test_and_clear; the fix: event_notifier_dummy_cb.
      if (!ctx.fixed) ctx.notifierTestAndClear();
    } else {
      ctx.handleDevice();
      progress = true;
    }
  });
  return progress;
}

function iothread({ m, sched }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  sched.await(S_VCPU_IN_BH1, 'the vCPU to run the first completion');
  let first = true;
  while (!ctx.shutdown) {
    aioPoll(ctx, true, {
      beforePoll: () => {
        if (!first) return;
        first = false;
        // Timeout computed (infinite: BH1 is taken, BH2 not scheduled yet); about to ppoll.
        sched.reach(S_HOME_READY);
        sched.await(S_VCPU_DONE, 'the vCPU to finish its aio_poll');
      },
    });
  }
}

function vcpu({ m, sched }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  // A synchronous request: aio_poll(ctx, true) until the completion ran.
  aioPoll(ctx, true, {
    bh: (i) => {
      if (i !== BH1) return;
      sched.reach(S_VCPU_IN_BH1);
      sched.await(S_BH2_SCHEDULED, 'the second completion');
    },
  });
  sched.reach(S_VCPU_DONE);
}

function worker({ m, sched, tidOf }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  sched.waitParked(tidOf('vcpu'), 'the vCPU asleep in aio_poll');
  bhSchedule(ctx, BH1); // first completion: kicks the sleeping vCPU
  sched.await(S_HOME_READY, 'the iothread about to sleep');
  bhSchedule(ctx, BH2); // second completion: kicks the eventfd for the iothread
  sched.reach(S_BH2_SCHEDULED);
}

export const notifierClear: Scenario = {
  id: 'notifier-clear',
  commit: '21a03d17f2',
  year: 2015,
  title: 'ctx->notifier cleared during dispatch eats a kick meant for another thread',
  era: 'QEMU 2.4 development (after eabc977973); fixed in 2.4',
  story:
    'A vCPU thread woken by one kick runs the completion BH, then its notifier handler clears the eventfd, ' +
    'consuming a second kick meant for the iothread, which then sleeps in ppoll on an empty eventfd with a BH pending.',
  kind: 'bug',
  roles: ['home', 'vcpu', 'worker'],
  device: false,
  expect: { verdict: 'lost', cause: 'kick-consumed', pending: ['bottom-half'] },
  completed: (m) => m.get(R.BH_RUNS_BASE + BH2) > 0,
  actors: { home: iothread, vcpu, worker },
};
