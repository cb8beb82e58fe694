// 321d1dba8b (QEMU 2.10, 2017): "aio: add missing aio_notify() to aio_enable_external()".
// The seed of this project.
//
// "Incrementing ctx->external_disable_cnt does not wake the IOThread from ppoll(2) so fd
// processing remains suspended and leads to unresponsive emulated devices." While external
// clients are disabled (a drained section: blockdev-snapshot-sync with virtio-scsi and an
// iothread), the IOThread polls a set without the device's ioeventfd. Re-enabling only
// decremented the count: the IOThread kept sleeping on the old set while the guest's
// requests piled up in the ioeventfd.
//
// The fix: old = atomic_fetch_dec(&cnt); if (old == 1) aio_notify(ctx), "Kick event loop so
// it re-arms file descriptors".
//
// Forced timing: none beyond what a drained section does; the IOThread is asleep on the
// reduced set when the drained section ends, as it nearly always is.
import { W } from '../../../aio/shared-state';
import { eventfdWrite } from '../../../sys/fd';
import { R } from '../memory';
import { MiniCtx } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';

const DRAIN_BH = 0;

/** aio_notify() of QEMU 2.4-2.9 (05e514b1d4): notified is set only when someone may sleep. */
export function aioNotifyB1(ctx: MiniCtx): void {
  ctx.countNotify();
  if (ctx.load(W.NOTIFY_ME) !== 0) {
    ctx.notifierSet();
    Atomics.store(ctx.w, W.NOTIFIED, 1);
  }
}

/** aio_notify_accept(): clears the eventfd only if notified was set. */
export function aioNotifyAccept(ctx: MiniCtx): void {
  if (Atomics.exchange(ctx.w, W.NOTIFIED, 0)) ctx.notifierTestAndClear();
}

/**
 * aio_poll() of QEMU 2.5-3.0, with external clients. 2.5-3.0 accept after every poll;
 * b37548fcd1 (3.1) accepts only in a blocking one (`acceptOnlyIfBlocking`).
 */
export function aioPollB1(
  ctx: MiniCtx,
  blocking: boolean,
  opts: { acceptOnlyIfBlocking: boolean; beforePoll?: () => void; bh?: (i: number) => void },
): boolean {
  if (blocking) Atomics.add(ctx.w, W.NOTIFY_ME, 2);
  const fds = ctx.buildFdSet(); // aio_node_check(ctx, node->is_external)
  ctx.beginPoll();
  const timeout = blocking ? ctx.computeTimeout() : 0;
  opts.beforePoll?.();
  const revents = ctx.ppoll(fds, timeout);
  if (blocking) Atomics.sub(ctx.w, W.NOTIFY_ME, 2);
  ctx.endPoll();
  if (blocking || !opts.acceptOnlyIfBlocking) aioNotifyAccept(ctx);
  let progress = ctx.bhPoll((i) => opts.bh?.(i));
  fds.forEach((e, i) => {
    if (!revents[i] || e.fd === ctx.efd) return; // ctx->notifier: event_notifier_dummy_cb
    ctx.handleDevice();
    progress = true;
  });
  return progress;
}

function iothread({ m }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  while (!ctx.shutdown) aioPollB1(ctx, true, { acceptOnlyIfBlocking: false });
}

/** The main thread: a drained section around a block-graph change, then the guest kicks. */
function main({ m, sched, tidOf }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  const home = tidOf('home');
  sched.waitParked(home, 'the IOThread asleep');
  // bdrv_drained_begin(): aio_disable_external(), then drain, which runs a BH in the
  // IOThread; when it polls again its set no longer has the device.
  ctx.disableExternal();
  if (ctx.bhMarkScheduled(DRAIN_BH)) aioNotifyB1(ctx);
  sched.until(() => ctx.bhRuns(DRAIN_BH) > 0, 'the drain BH to run');
  sched.waitParked(home, 'the IOThread asleep on the reduced set');
  // The guest submits a request: its ioeventfd fires (nobody polls it while drained).
  eventfdWrite(m.get(R.DEVICE_FD), 1n);
  // bdrv_drained_end(): aio_enable_external().
  const old = ctx.enableExternalDec();
  if (ctx.fixed && old === 1) aioNotifyB1(ctx); // "Kick event loop so it re-arms file descriptors"
}

export const enableExternal: Scenario = {
  id: 'enable-external',
  commit: '321d1dba8b',
  year: 2017,
  title: 'aio_enable_external() without a kick leaves the IOThread on a stale fd set',
  era: 'QEMU 2.5-2.9; fixed in 2.10',
  story:
    'During a drained section the IOThread polls a set without the device ioeventfd; re-enabling external clients only ' +
    'decrements a counter, so the IOThread keeps sleeping on the stale set while the guest request waits in the ioeventfd.',
  kind: 'bug',
  roles: ['home', 'main'],
  device: true,
  expect: { verdict: 'lost', cause: 'stale-fd-set', pending: ['fd-unwatched'] },
  completed: (m) => m.get(R.DEVICE_HANDLED) > 0,
  actors: { home: iothread, main },
};
