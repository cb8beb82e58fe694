// b37548fcd1 (QEMU 3.1, 2018): "aio: Do aio_notify_accept only during blocking aio_poll".
//
//   main thread                          IOThread
//   bdrv_drained_begin()
//     aio_disable_external(ctx)
//                                        aio_poll(ctx, true)
//                                          ctx->notify_me += 2   (set built without the device)
//   bdrv_drained_end()
//     aio_enable_external() -> aio_notify()   (eventfd set, notified = true)
//   bdrv_set_aio_context()
//     aio_poll(ctx, false)
//       aio_notify_accept(ctx)           <- clears notified AND the eventfd
//                                          ppoll()   /* Hang! */
//
// The main thread's non-blocking poll "steals" the kick that was meant to make the
// IOThread re-arm its fd set; the IOThread sleeps on the set built while external clients
// were disabled, and the guest's next virtio kick goes unnoticed (RHBZ 1562750: SeaBIOS
// spinning on an MBR read while booting many VMs).
//
// The fix moves aio_notify_accept() into the `blocking` branch: only the poller that may
// have slept (notify_me != 0) consumes the notification.
//
// Forced timing: the IOThread pauses between building its fd set and ppoll.
import { eventfdWrite } from '../../../sys/fd';
import { R } from '../memory';
import { MiniCtx } from '../mini-aio';
import { ActorEnv, Scenario } from '../scenario';
import { aioNotifyB1, aioPollB1 } from './enable-external';

const S_DISABLED = 1;
const S_HOME_READY = 2;
const S_MAIN_POLLED = 3;

function iothread({ m, sched }: ActorEnv): void {
  const ctx = MiniCtx.claimHome(m);
  sched.await(S_DISABLED, 'the drained section to begin');
  let first = true;
  while (!ctx.shutdown) {
    aioPollB1(ctx, true, {
      acceptOnlyIfBlocking: ctx.fixed,
      beforePoll: () => {
        if (!first) return;
        first = false;
        sched.reach(S_HOME_READY);
        sched.await(S_MAIN_POLLED, "the main thread's non-blocking aio_poll");
      },
    });
  }
}

function main({ m, sched, tidOf }: ActorEnv): void {
  const ctx = new MiniCtx(m, false);
  ctx.disableExternal(); // bdrv_drained_begin
  sched.reach(S_DISABLED);
  sched.await(S_HOME_READY, 'the IOThread to build its fd set');
  // bdrv_drained_end: aio_enable_external with 321d1dba8b's kick.
  if (ctx.enableExternalDec() === 1) aioNotifyB1(ctx);
  // bdrv_set_aio_context: aio_poll(ctx, false) from the main thread.
  aioPollB1(ctx, false, { acceptOnlyIfBlocking: ctx.fixed });
  sched.reach(S_MAIN_POLLED);
  sched.waitParked(tidOf('home'), 'the IOThread asleep');
  sched.pause(10);
  // The guest kicks the virtio queue's ioeventfd.
  eventfdWrite(m.get(R.DEVICE_FD), 1n);
}

export const acceptSteal: Scenario = {
  id: 'accept-steal',
  commit: 'b37548fcd1',
  year: 2018,
  title: "a non-blocking aio_poll() steals the IOThread's notification",
  era: 'QEMU 2.10-3.0; fixed in 3.1',
  story:
    "aio_enable_external() kicks the IOThread so it re-arms its fd set, but the main thread's non-blocking aio_poll() " +
    'runs aio_notify_accept() and clears the eventfd first; the IOThread sleeps on the stale set and misses the guest kick.',
  kind: 'bug',
  roles: ['home', 'main'],
  device: true,
  expect: { verdict: 'lost', cause: 'kick-consumed', pending: ['fd-unwatched'] },
  completed: (m) => m.get(R.DEVICE_HANDLED) > 0,
  actors: { home: iothread, main },
};
