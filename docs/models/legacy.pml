/*
 * legacy.pml: the older QEMU protocols whose lost wake-ups the diagnosis layer replays, next to
 * the protocol that fixed each of them (reference/qemu-aiocontext.md §2-§4).
 *
 * Scenario NESTED (default): the home thread (IOThread) polls its context for ever; another
 * thread (a vCPU in bdrv_drain, a nested aio_poll) runs aio_poll on the SAME context a few times
 * and leaves; NOTIFIERS threads (thread-pool workers) each schedule a bottom half and notify.
 *   ERA_A     QEMU 2.1-2.3, the ctx->dispatching optimization (0ceb849bd3):
 *               aio_notify: if (!dispatching) event_notifier_set
 *               aio_poll:   was = dispatching; dispatching = !blocking; ppoll;
 *                           dispatching = true; BHs; fd handlers (the eventfd one clears it);
 *                           dispatching = was
 *             the home thread sleeps through the GSource (prepare/check do not touch
 *             `dispatching`).  Lost wake-up fixed by eabc977973.
 *   ERA_B0    eabc977973 alone: notify_me counter, but the eventfd is still cleared by its fd
 *             handler during dispatch, after the bottom halves ran: a nested aio_poll eats the
 *             kick meant for the IOThread. Fixed by 21a03d17f2.
 *   ERA_B1    QEMU 2.4 (21a03d17f2 + 05e514b1d4): notified + aio_notify_accept before dispatch,
 *             the eventfd handler is a dummy. Correct for this scenario.
 * (aio-notify's own protocol with a poll on another thread: aio_poll.pml FOREIGN_POLL and
 * external.pml BUG_FOREIGN_POLL.)
 *
 * Scenario STOP: iothread_run: while (!stopping) aio_poll(ctx, true); a stopper thread requests a
 * stop. No other notifier.
 *   ERA_B1 + STOP_BARE     iothread_stop: stopping = true; aio_notify(ctx)  (QEMU 2.11):
 *                          notify with notify_me == 0 is dropped. Fixed by 2362a28ea1.
 *   ERA_B1 + STOP_BH       the fix: a oneshot BH that sets `stopping` from inside the loop.
 * (aio_poll.pml STOP_FLAG shows that with the sticky `notified` of B4 the bare flag is safe.)
 *
 * Properties as in aio_poll.pml: lost_wakeup at global quiescence, and ltl served.
 */

#ifndef NOTIFIERS
#define NOTIFIERS 2
#endif
#ifndef NESTED_POLLS
#define NESTED_POLLS 2
#endif

#if !defined(ERA_A) && !defined(ERA_B0) && !defined(ERA_B1)
#error define one of ERA_A, ERA_B0, ERA_B1
#endif
#if defined(STOP_BARE) || defined(STOP_BH)
#define STOP 1
#endif

byte enq;          /* bottom halves scheduled, not yet taken by an aio_bh_poll round */
bit  dispatching;  /* ERA_A: ctx->dispatching */
byte notify_me;    /* ctx->notify_me */
bit  notified;     /* ctx->notified */
byte efd;          /* ctx->notifier (eventfd counter) */
bit  stop_requested; /* ghost: the stopper has asked */
bit  stopping;     /* iothread->stopping */
bit  exited;       /* the IOThread left its loop */
bit  stop_bh;      /* STOP_BH: the stop bottom half is scheduled */
bit  lost_wakeup;
byte witness;       /* ghost, write-only, so Spin keeps it out of the state vector: WITNESS(n)
                     * marks a place every correct configuration must reach (check-models.sh) */
#define WITNESS(n) witness = n

#define BH_PENDING (enq > 0 || stop_bh)

#ifdef STOP
#define PENDING (stop_requested && !exited)
#else
#define PENDING (enq > 0)
#endif

inline notify() {
#if defined(ERA_A)
  if
  :: !dispatching -> efd++                   /* smp_mb(); if (!ctx->dispatching) set */
  :: else -> skip
  fi
#elif defined(ERA_B0)
  if
  :: notify_me != 0 -> efd++                 /* smp_mb(); if (ctx->notify_me) set */
  :: else -> skip
  fi
#elif defined(ERA_B1)
  if
  :: notify_me != 0 ->
     efd++;                                  /* event_notifier_set */
     WITNESS(1);                             /* a kick */
     notified = 1                            /* atomic_mb_set(&ctx->notified, true) */
  :: else -> skip
  fi
#endif
}

/* aio_bh_poll(): one round takes the bottom halves scheduled so far. */
inline bh_poll() {
#ifdef STOP_BH
  if
  :: stop_bh ->
     stopping = 1;                           /* iothread_stop_bh runs */
     WITNESS(2);                             /* the stop bottom half ran */
     stop_bh = 0
  :: else -> skip
  fi;
#endif
  enq = 0
}

/*
 * aio_poll(ctx, blocking) of the era, or (gsource) the IOThread's GSource iteration in ERA_A:
 * prepare (timeout), g_poll, check, dispatch, none of which touches `dispatching`.
 */
inline aio_poll(blocking, gsource) {
#if defined(ERA_A)
  if
  :: !gsource -> was = dispatching; dispatching = !blocking
  :: else -> skip
  fi;
  tmo = (blocking && !BH_PENDING);
#elif defined(ERA_B0) || defined(ERA_B1)
  armed = blocking;
  if :: armed -> notify_me = notify_me + 2 :: else -> skip fi;   /* atomic_add: full barrier */
  tmo = (blocking && !BH_PENDING);  /* aio_compute_timeout after notify_me += 2 */
#endif
end_ppoll:
  d_step { (tmo == 0 || efd > 0) -> rev_efd = (efd > 0) };
  if
  :: tmo && rev_efd -> WITNESS(3)           /* a sleep ended by the eventfd */
  :: else -> skip
  fi;
#if defined(ERA_A)
  if :: !gsource -> dispatching = 1 :: else -> skip fi;
  bh_poll();
  if :: rev_efd -> efd = 0 :: else -> skip fi;   /* io_read = event_notifier_test_and_clear */
  if :: !gsource -> dispatching = was :: else -> skip fi
#elif defined(ERA_B0)
  if :: armed -> notify_me = notify_me - 2 :: else -> skip fi;
  bh_poll();
  if :: rev_efd -> efd = 0 :: else -> skip fi    /* io_read = event_notifier_test_and_clear */
#elif defined(ERA_B1)
  if :: armed -> notify_me = notify_me - 2 :: else -> skip fi;
  d_step { old = notified; notified = 0 };   /* aio_notify_accept: if (xchg(&notified, false)) */
  if
  :: old -> efd = 0; WITNESS(4)              /* event_notifier_test_and_clear() */
  :: else -> skip
  fi;
  bh_poll()                                  /* the eventfd's io_read is a dummy */
#endif
}

active proctype iothread() {
  bit tmo, armed, rev_efd, was, old;
  do
#ifdef STOP
  :: stopping -> break
  :: else ->
#else
  :: true ->
#endif
     aio_poll(1, 1)
  od;
  exited = 1
}

#ifndef STOP
/* A nested aio_poll on the same context from another thread: a few calls, then it leaves. */
active proctype nested() {
  bit tmo, armed, rev_efd, was, old, blocking;
  byte i;
  do
  :: i < NESTED_POLLS ->
     if
     :: blocking = 0                         /* aio_poll(ctx, false) */
     :: blocking = 1                         /* aio_poll(ctx, true), e.g. in bdrv_drain */
     fi;
     aio_poll(blocking, 0);
     i++
  :: else -> break
  od
}

proctype worker() {
  bit old;
  enq++;                                     /* qemu_bh_schedule: scheduled = 1, then notify */
  notify()
}

init {
  byte n = NOTIFIERS;
  atomic {
    do
    :: n > 0 -> run worker(); n--
    :: else -> break
    od
  }
}
#else
active proctype stopper() {
  bit old;
  stop_requested = 1;
#ifdef STOP_BH
  stop_bh = 1;                               /* aio_bh_schedule_oneshot(iothread_stop_bh) */
#else
  stopping = 1;                              /* iothread->stopping = true */
#endif
  notify()
}
#endif

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
