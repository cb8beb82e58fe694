/*
 * aio_poll.pml: the notify/poll protocol of aio-notify as implemented (DESIGN.md "The protocol",
 * QEMU 5.2-8.x "B4") with the COALESCED kick, and the SIGIO wake-up path beside the eventfd.
 *
 *   bh.schedule()      any thread: BH word set, Atomics.add(BH_ENQUEUED, 1), notify()
 *   notify()           any thread (lib/aio/notify.ts)
 *     if (Atomics.exchange(NOTIFIED, 1) == 0)          only the 0 -> 1 notifier may kick
 *       if (Atomics.load(NOTIFY_ME) != 0) kick()       kick = eventfd write (+ kill(SIGIO))
 *   poll(true)         home thread only (lib/aio/context.ts, AioContext.poll)
 *     timeout = computeTimeout()                       0 if a bottom half is enqueued
 *     if (timeout != 0) { NOTIFY_ME += 2; if (NOTIFIED) timeout = 0 }
 *     n = ppoll([eventfd, relay pipe, ...], timeout)   n < 0 (EINTR: the relay's SIGIO handler
 *                                                      ran on this thread): read the eventfd now
 *     drain the relay pipe if reported (not progress)
 *     if (timeout was != 0) NOTIFY_ME -= 2
 *     notifyAccept(): NOTIFIED = 0
 *     read (clear) the eventfd if ppoll reported it
 *     one bottom-half round: Atomics.exchange(BH_ENQUEUED, 0), run what it took
 *
 * lib/aio/notify.ts has the coalesced kick since issue 5 (before: DESIGN.md's uncoalesced notify,
 * PLAIN_KICK below). The wait is ppoll or, with many handlers, epoll (fd-handlers.ts wait()): the
 * same level-triggered readiness. Not modelled: timers (a finite timeout only makes the poller
 * wake sooner), closing (KICKERS/CLOSED), eventfd overflow.
 *
 * Every step below is one Atomics operation (sequentially consistent) or one system call, so
 * Spin's interleaving semantics is the JavaScript memory model for these accesses: every
 * variable shared between threads is only touched through Atomics (shared-state.ts).
 *
 * Properties (docs/models/README.md):
 *   lost_wakeup  end state: when no process can move (the poller asleep in ppoll with no
 *                eventfd count and no relay record pending, every notifier finished), no bottom
 *                half is pending (with STOP_FLAG: a stop request was honoured).
 *   kick bound   eventfd writes <= notifyAccept() calls + 1: however many threads notify, on
 *                average at most one eventfd write per poll (the coalescing target of issue 5).
 *   ltl served   [] (PENDING -> <> !PENDING), checked with `pan -a` (deadlocks stutter).
 *
 * Configurations (-D on the spin command line, see scripts/check-models.sh):
 *   default              coalesced kick, NOTIFIERS notifiers each scheduling ROUNDS bottom halves
 *   PLAIN_KICK           DESIGN.md's uncoalesced notify: notified = 1; if (notify_me) kick
 *   NO_KICK_BOUND        do not check the kick bound (PLAIN_KICK violates it, by design)
 *   SIGIO_KICK           each kick also sends kill(SIGIO): relay thread -> pipe polled by ppoll
 *   SUPPRESS_EVENTFD     the test-only replay switch (W.SUPPRESS_EVENTFD_KICK): no eventfd write
 *   STOP_FLAG            a stopper thread: stopping = 1; notify() (a bare flag, no bottom half)
 *   READ_AFTER_BHS       QEMU's order: the eventfd is read by its handler after the bottom-half
 *                        round (aio_bh_poll, then aio_dispatch_ready_handlers); AioContext.poll()
 *                        reads it right after notifyAccept(), before the round
 *   FOREIGN_POLL         another thread also runs poll(false) on the context (what the home-thread
 *                        check forbids). With the implementation's order it cannot lose a bottom
 *                        half (it reads the eventfd before taking the round, so every kick it eats
 *                        announced work it runs itself); with READ_AFTER_BHS it can: the steal of
 *                        QEMU b37548fcd1 / 21a03d17f2 (counterexample). Its real damage is to fd
 *                        set changes: external.pml BUG_FOREIGN_POLL.
 *   ATTACH               the home thread sleeps in its Node event loop instead of ppoll:
 *                        attachPrepare() (NOTIFY_ME |= 1; 0 if NOTIFIED; else computeTimeout()),
 *                        the loop waits for the eventfd or the timeout, attachCheck()
 *                        (NOTIFY_ME &= ~1), then poll(false)
 * Bug variants (each must yield a counterexample):
 *   BUG_ATTACH_NO_NOTIFIED_CHECK  ATTACH without attachPrepare()'s NOTIFIED check: harmless with
 *                        the plain notify, a lost wake-up with the coalesced kick (a notifier that
 *                        finds a stale NOTIFIED set makes no system call)
 *   BUG_TEST_THEN_SET    coalescing by a plain load: if (!notified) { if (notify_me) kick };
 *                        notified = 1  (QEMU's BUG2 of docs/aio_notify_accept.promela, in B4)
 *   BUG_ACCEPT_EARLY     coalesced kick, but notifyAccept() (notified = 0) moved before the sleep
 *                        (after computeTimeout, before notify_me += 2) instead of after ppoll
 */

#ifndef NOTIFIERS
#define NOTIFIERS 2
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#define PIPE_MAX 2                 /* records the relay pipe holds before writes would block */
#define ACCEPTS_CAP (NOTIFIERS * ROUNDS + 2)

byte enq;          /* W.BH_ENQUEUED: bottom halves scheduled and not yet taken by a round */
bit  notified;     /* W.NOTIFIED */
byte notify_me;    /* W.NOTIFY_ME */
byte efd;          /* the context's eventfd counter (W.EVENTFD) */
bit  sig;          /* SIGIO pending for the process (standard signals coalesce) */
byte pipe;         /* records in the relay pipe (W.RELAY_FD) */
bit  stopping;     /* STOP_FLAG: the bare stop flag */
bit  exited;       /* the poller left its loop */
byte kicks;        /* ghost: eventfd writes (W.KICKS) */
byte accepts;      /* ghost: notifyAccept() calls, saturating at ACCEPTS_CAP */
bit  lost_wakeup;  /* ghost: set by the monitor when the system is stuck with work pending */
byte witness;       /* ghost, write-only, so Spin keeps it out of the state vector: WITNESS(n)
                     * marks a place every correct configuration must reach (check-models.sh) */
#define WITNESS(n) witness = n
#ifdef ATTACH
#define SLEEP_WITNESS(n) skip          /* ATTACH: the home thread never sleeps in poll() */
#else
#define SLEEP_WITNESS(n) WITNESS(n)
#endif

#ifdef STOP_FLAG
#define PENDING (stopping && !exited)
#else
#define PENDING (enq > 0)
#endif

inline kick() {
#ifndef SUPPRESS_EVENTFD
  d_step {
    efd++;                                   /* eventfdWrite(fd, 1n) */
    kicks++;
#ifndef NO_KICK_BOUND
    assert(kicks <= accepts + 1)             /* the kick bound */
#endif
  };
  WITNESS(1);                                /* an eventfd write */
#endif
#ifdef SIGIO_KICK
  sig = 1;                                   /* kill(getpid(), SIGIO) */
#endif
  skip
}

inline notify() {
#if defined(PLAIN_KICK)
  notified = 1;                              /* Atomics.store(notified, 1) */
  if
  :: notify_me != 0 -> kick()                /* Atomics.load(notify_me) */
  :: else -> skip
  fi
#elif defined(BUG_TEST_THEN_SET)
  if
  :: notified == 0 ->                        /* Atomics.load(notified) */
     if
     :: notify_me != 0 -> kick()
     :: else -> skip
     fi
  :: else -> skip
  fi;
  notified = 1                               /* Atomics.store(notified, 1): too late */
#else
  d_step { old = notified; notified = 1 };   /* Atomics.exchange(notified, 1) */
  if
  :: old == 0 ->
     if
     :: notify_me != 0 -> kick()
     :: else -> skip
     fi
  :: else -> WITNESS(2)                      /* coalesced: notified was 1, no system call */
  fi
#endif
}

proctype notifier() {
  bit old;
  byte i;
  do
  :: i < ROUNDS ->
     enq++;                                  /* bh.schedule(): Atomics.add(BH_ENQUEUED, 1) ... */
     notify();                               /* ... then notify() */
     i++
  :: else -> break
  od
}

#ifdef STOP_FLAG
proctype stopper() {
  bit old;
  stopping = 1;                              /* a bare flag, not a bottom half */
  notify()
}
#endif

/*
 * One poll(): the home thread's poll(true), or (foreign) another thread's poll(false), in the
 * order of AioContext.poll() (lib/aio/context.ts).
 */
inline poll_once(blocking, foreign) {
  /* computeTimeout(): 0 when a bottom half is pending (BH_ENQUEUED), else infinite */
  if
  :: blocking && enq == 0 -> tmo = 1
  :: else -> tmo = 0
  fi;
#ifdef BUG_ACCEPT_EARLY
  if
  :: !foreign -> notified = 0; if :: accepts < ACCEPTS_CAP -> accepts++ :: else -> skip fi
  :: else -> skip
  fi;
#endif
  armed = tmo;                               /* useNotifyMe */
  if
  :: armed ->
     notify_me = notify_me + 2;              /* Atomics.add(NOTIFY_ME, 2) */
     if
     :: notified -> tmo = 0; SLEEP_WITNESS(3) /* Atomics.load(NOTIFIED): do not sleep */
     :: else -> skip
     fi
  :: else -> skip
  fi;
  /* ppoll([eventfd, relay pipe], tmo): level-triggered readiness, reported in revents */
end_ppoll:
  if
  :: d_step {
       (tmo == 0 || efd > 0 || pipe > 0) ->
       rev_efd = (efd > 0);
       rev_pipe = (pipe > 0)
     }
#ifdef SIGIO_KICK
  :: d_step {
       /* EINTR: the pending SIGIO is delivered to this very thread (a worker does not block
        * it): the relay's handler forwards a record, and ppoll returns -1 */
       sig ->
       sig = 0;
       if :: pipe < PIPE_MAX -> pipe++ :: else -> skip fi;
       rev_efd = (efd > 0);                  /* n < 0: notifierReady = testAndClear() */
       efd = 0;
       rev_pipe = 1
     };
     WITNESS(8)                              /* ppoll interrupted by the relay's handler */
#endif
  fi;
#ifdef SIGIO_KICK
  if
  :: rev_pipe -> pipe = 0; WITNESS(5)        /* relay.drain(): not progress */
  :: else -> skip
  fi;
  if
  :: armed && tmo && rev_pipe && !rev_efd ->
     WITNESS(6)                              /* a sleep ended by the SIGIO path alone */
  :: else -> skip
  fi;
#endif
  if
  :: armed -> notify_me = notify_me - 2      /* Atomics.sub(NOTIFY_ME, 2) */
  :: else -> skip
  fi;
#ifndef BUG_ACCEPT_EARLY
  d_step {                                   /* notifyAccept(): Atomics.store(NOTIFIED, 0) */
    notified = 0;
    if :: accepts < ACCEPTS_CAP -> accepts++ :: else -> skip fi
  };
#endif
#ifdef READ_AFTER_BHS
  enq = 0;                                   /* QEMU: aio_bh_poll() before the handlers */
#endif
#ifndef SUPPRESS_EVENTFD
  if
  :: rev_efd -> efd = 0                      /* the eventfd handler: testAndClear() */
  :: else -> skip
  fi;
  if
  :: armed && tmo && rev_efd -> SLEEP_WITNESS(4) /* a sleep ended by the eventfd */
  :: else -> skip
  fi;
#endif
#ifndef READ_AFTER_BHS
  enq = 0;                                   /* #bhPoll(): takeEnqueued() exchanges BH_ENQUEUED
                                              * with 0 and the round runs what it took */
#endif
  skip
}

#ifdef ATTACH
/*
 * One iteration of a context attached to its thread's Node event loop (QEMU's GSource):
 * attachPrepare(), the loop's wait (uv_poll on the eventfd, a uv timer), attachCheck(), then
 * poll(false) dispatches (lib/aio/context.ts).
 */
inline attach_once() {
  notify_me = notify_me | 1;                 /* attachPrepare(): Atomics.or(NOTIFY_ME, 1) */
#ifndef BUG_ATTACH_NO_NOTIFIED_CHECK
  if
  :: notified -> tmo = 0; WITNESS(9)         /* Atomics.load(NOTIFIED): return 0 */
  :: else ->
#endif
     if                                      /* computeTimeout() */
     :: enq == 0 -> tmo = 1
     :: else -> tmo = 0
     fi
#ifndef BUG_ATTACH_NO_NOTIFIED_CHECK
  fi
#endif
  ;
end_loop_wait:
  (tmo == 0 || efd > 0);                     /* the Node loop: the eventfd readable, or the timer */
  if
  :: tmo && efd > 0 -> WITNESS(10)           /* the loop woken by the eventfd */
  :: else -> skip
  fi;
  notify_me = notify_me & 254;               /* attachCheck(): Atomics.and(NOTIFY_ME, ~1) */
  poll_once(0, 0)                            /* poll(false) */
}
#endif

active proctype poller() {
  bit tmo, armed, rev_efd, rev_pipe;
  do
#ifdef STOP_FLAG
  :: stopping -> break                       /* while (!stopping) poll(true) */
  :: else ->
#else
  :: true ->
#endif
#ifdef ATTACH
     attach_once()
#else
     poll_once(1, 0)
#endif
  od;
#ifdef STOP_FLAG
  exited = 1;
  WITNESS(7)                                 /* the stop was seen */
#endif
}

#ifdef FOREIGN_POLL
/* A thread other than the home thread runs poll(false) once. */
active proctype foreign() {
  bit tmo, armed, rev_efd, rev_pipe;
  poll_once(0, 1)
}
#endif

#ifdef SIGIO_KICK
/*
 * native/core/relay.cc: the signal reaches Forward() by the sigwaitinfo thread or by the process-wide
 * handler on whichever thread the kernel picks; either way exactly once, then one record per
 * subscriber pipe (O_NONBLOCK: a full pipe drops the record, it already wakes the reader).
 */
active proctype relay() {
end_relay:
  do
  :: d_step { sig -> sig = 0 };              /* sigwaitinfo() takes the pending SIGIO */
     if
     :: pipe < PIPE_MAX -> pipe++            /* Forward(): write a 128-byte record */
     :: else -> skip                         /* EAGAIN: dropped */
     fi
  od
}
#endif

init {
  byte n = NOTIFIERS;
  atomic {
    do
    :: n > 0 -> run notifier(); n--
    :: else -> break
    od;
#ifdef STOP_FLAG
    run stopper();
#endif
  }
}

/* Global quiescence: nothing can move any more. The poller is asleep in ppoll for ever (its
 * readiness guard is false), so pending work would never be done: a lost wake-up. */
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
