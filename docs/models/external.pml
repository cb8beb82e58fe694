/*
 * external.pml: external clients (DESIGN.md: disableExternal / enableExternal; QEMU 2.10-8.0).
 *
 *   disableExternal()   any thread:  Atomics.add(external_disable_cnt, 1)
 *   enableExternal()    any thread:  old = Atomics.sub(external_disable_cnt, 1); assert(old > 0);
 *                                    if (old == 1) notify()       "kick the loop so it re-arms fds"
 *   poll(true)          home thread: as in aio_poll.pml (coalesced kick), and the ppoll fd set
 *                       leaves out the handlers registered { external: true } while the
 *                       count is non-zero.
 *
 * A device fd (an external handler) becomes readable at any moment, in particular while external
 * clients are disabled. A disabled external fd stays readable in the kernel: it is neither polled
 * nor read. After the last enable it must be served: when nothing can move any more (the poller
 * asleep in ppoll), the device fd is not left readable (lost_wakeup), and
 * [] (dev_ready -> <> !dev_ready) holds (ltl served).
 *
 * Two controller threads each disable and later enable, so the count nests (0..2) and only the
 * last enable kicks.
 *
 * Configurations:
 *   default              the protocol as implemented (coalesced kick; fd set built after the
 *                        notify_me / notified check, where QEMU's fdmon_poll_wait builds it)
 *   FDSET_EARLY          the fd set is built before notify_me += 2 (e.g. a cached PollFdArray
 *                        refreshed at the top of poll()): also correct
 * Bug variants:
 *   BUG_ENABLE_NO_KICK   enableExternal() without notify(): QEMU 2.5-2.9, fixed by 321d1dba8b
 *   BUG_NONBLOCKING_STEAL  QEMU 2.9-3.0 protocol (notify sets notified only when notify_me != 0;
 *                        notify_accept = "if (xchg(notified, 0)) clear the eventfd", run after EVERY
 *                        aio_poll): the main thread re-enables (the kick is there) and then runs
 *                        aio_poll(ctx, false), whose accept eats the kick meant for the IOThread
 *                        asleep on its stale fd set. Fixed by b37548fcd1.
 *   STEAL_FIXED          the same 3.0 protocol with b37548fcd1: notify_accept only in a blocking
 *                        aio_poll (which only the home thread may run). Correct.
 *   BUG_FOREIGN_POLL     aio-notify's protocol, but the re-enabling thread then runs poll(false)
 *                        on the context (what AioContext's home-thread check forbids): its
 *                        eventfd handler eats the kick, the IOThread sleeps on its stale fd set.
 */

#if defined(BUG_NONBLOCKING_STEAL) || defined(STEAL_FIXED)
#define QEMU_3_0 1
#endif

byte cnt;          /* W.EXTERNAL_DISABLE_CNT */
bit  dev_ready;    /* the device fd is readable (level-triggered, until its handler reads it) */
bit  notified;     /* W.NOTIFIED */
byte notify_me;    /* W.NOTIFY_ME */
byte efd;          /* the context's eventfd counter */
bit  lost_wakeup;  /* ghost: set by the monitor */
byte witness;       /* ghost, write-only, so Spin keeps it out of the state vector: WITNESS(n)
                     * marks a place every correct configuration must reach (check-models.sh) */
#define WITNESS(n) witness = n

#define PENDING (dev_ready)

inline notify() {
#ifdef QEMU_3_0
  if
  :: notify_me != 0 ->                       /* smp_mb(); if (ctx->notify_me) */
     efd++;                                  /* event_notifier_set() */
     WITNESS(1);                             /* a kick */
     notified = 1                            /* atomic_mb_set(&ctx->notified, true) */
  :: else -> skip
  fi
#else
  d_step { old = notified; notified = 1 };   /* Atomics.exchange(notified, 1) */
  if
  :: old == 0 ->
     if
     :: notify_me != 0 -> efd++; WITNESS(1)  /* eventfdWrite */
     :: else -> skip
     fi
  :: else -> skip
  fi
#endif
}

#ifdef QEMU_3_0
/* aio_notify_accept(): if (atomic_xchg(&ctx->notified, false)) event_notifier_test_and_clear() */
inline accept() {
  d_step { old = notified; notified = 0 };
  if
  :: old -> efd = 0
  :: else -> skip
  fi
}
#else
inline accept() {
  notified = 0                               /* notifyAccept(): Atomics.store(notified, 0) */
}
#endif

inline enable_external() {
  d_step { old_cnt = cnt; cnt-- };           /* Atomics.sub(external_disable_cnt, 1) */
  assert(old_cnt > 0);
#ifndef BUG_ENABLE_NO_KICK
  if
  :: old_cnt == 1 ->
     notify()                                /* the kick on the last enable */
  :: else -> skip
  fi
#endif
}

/* One aio_poll / poll() by the thread it runs in. */
inline poll_once(blocking) {
  ext = 0;
#ifdef FDSET_EARLY
  ext = (cnt == 0);                          /* external handlers polled iff none disabled */
#endif
#ifdef QEMU_3_0
  /* QEMU 3.0 aio_poll: if (blocking) notify_me += 2; timeout = blocking ? compute : 0 */
  armed = blocking;
  if :: armed -> notify_me = notify_me + 2 :: else -> skip fi;
  tmo = blocking;                            /* no bottom halves or timers in this model */
#else
  tmo = blocking;                            /* computeTimeout(): no bottom halves or timers */
  armed = tmo;
  if
  :: armed ->
     notify_me = notify_me + 2;
     if :: notified -> tmo = 0 :: else -> skip fi
  :: else -> skip
  fi;
#endif
#ifndef FDSET_EARLY
  ext = (cnt == 0);                          /* fdmon_poll_wait: aio_node_check() per handler */
#endif
end_ppoll:
  d_step {
    (tmo == 0 || efd > 0 || (ext && dev_ready)) ->
    rev_efd = (efd > 0);
    rev_dev = (ext && dev_ready)
  };
  if :: armed -> notify_me = notify_me - 2 :: else -> skip fi;
#if defined(STEAL_FIXED)
  if :: blocking -> accept() :: else -> skip fi   /* b37548fcd1: only in blocking aio_poll */
#else
  accept();
#endif
#ifndef QEMU_3_0
  if :: rev_efd -> efd = 0 :: else -> skip fi;   /* the eventfd: testAndClear() */
#endif                                            /* QEMU 3.0: a dummy handler */
  /* #dispatch(): an external handler is skipped while external clients are disabled */
  if
  :: rev_dev && cnt == 0 -> dev_ready = 0; WITNESS(2) /* the device handler reads the fd */
  :: else -> skip
  fi;
  if
  :: armed && tmo && !ext && rev_efd ->
     WITNESS(3)                              /* asleep without the device fd, then kicked */
  :: else -> skip
  fi
}

active proctype poller() {
  bit tmo, armed, rev_efd, rev_dev, ext, old;
  do
  :: poll_once(1)
  od
}

/* A thread that disables external clients, lets time pass, and enables them again. */
proctype controller(bit then_poll) {
  bit old;
  byte old_cnt;
  bit tmo, armed, rev_efd, rev_dev, ext;
  cnt++;                                     /* disableExternal(): Atomics.add(cnt, 1) */
  enable_external();
#if defined(QEMU_3_0) || defined(BUG_FOREIGN_POLL)
  if
  :: then_poll -> poll_once(0)               /* bdrv_set_aio_context's aio_poll(ctx, false) */
  :: else -> skip
  fi
#endif
}

active proctype device() {
  atomic {
    dev_ready = 1;                           /* the device fd becomes readable */
    if
    :: cnt > 0 -> WITNESS(4)                 /* while external clients are disabled */
    :: else -> skip
    fi
  }
}

init {
  atomic {
    run controller(1);
    run controller(0)
  }
}

active proctype monitor() {
  timeout ->
  d_step {
    lost_wakeup = PENDING;
    assert(!lost_wakeup)
  }
}

#ifndef NO_LTL
ltl served { [] ((PENDING) -> <> (!(PENDING))) }
#endif
