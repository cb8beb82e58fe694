// The operations of a context that any thread may perform through its shared memory:
// notify() (QEMU's aio_notify), external-client disable/enable, and the stats snapshot.
// AioContext (home thread) and AioContextRef (any thread) both call these, so there is
// one implementation of each barrier.
import { constants } from 'node:os';
import { fencedKick } from '../sys';
import { closedError, invalidState } from '../errors';
import { SharedState, T, W } from './shared-state';

const SIGIO = constants.signals.SIGIO;

export function throwIfClosed(state: SharedState, what: string): void {
  if (Atomics.load(state.words, W.CLOSED) !== 0) throw closedError(what);
}

/**
 * aio_notify(): make the home thread re-evaluate its fds, bottom halves and timers before
 * it next sleeps, and wake it if it is asleep now. No system call unless it may sleep.
 */
export function notify(state: SharedState): void {
  const w = state.words;
  Atomics.add(w, W.NOTIFIES, 1);
  // QEMU: smp_wmb(); notified = true; smp_mb(); if (notify_me) event_notifier_set().
  // Every Atomics access is sequentially consistent, so the caller's earlier writes (a
  // bottom half's flags, the external count) are visible before NOTIFIED is, and the
  // exchange of NOTIFIED is ordered before the load of NOTIFY_ME.
  // Pairs with poll(): Atomics.add(NOTIFY_ME, 2), then Atomics.load(NOTIFIED). Either the
  // poller sees NOTIFIED and does not sleep, or we see its NOTIFY_ME and kick the eventfd
  // (store-buffering: both sides need the full barrier, acquire/release is not enough).
  //
  // The kick is coalesced: only the notifier whose exchange turns NOTIFIED from 0 to 1 may
  // write. If the exchange finds 1, NOTIFIED has stayed 1 since the notifier that set it,
  // and only notifyAccept() after a wait clears it; a poller that began its sleep before
  // that notifier's exchange is kicked by it (its load follows the exchange, so it sees
  // NOTIFY_ME), and one that begins later sees NOTIFIED and does not sleep. So at most one
  // eventfd write per blocking poll (one that raised NOTIFY_ME), however many threads
  // notify; a poll that raised it and then saw NOTIFIED skips its sleep, so a write can
  // land on a poll that did not sleep. Model-checked in
  // docs/models/aio_poll.pml (coalesced-* checks; plain-kick-bound shows the uncoalesced
  // kick breaking that bound).
  if (Atomics.exchange(w, W.NOTIFIED, 1) === 0 && Atomics.load(w, W.NOTIFY_ME) !== 0) kick(state);
}

/** The system-call half of notify(): write the eventfd, and send SIGIO when enabled. */
function kick(state: SharedState): void {
  const w = state.words;
  // The fence against close is native and whole (sys.fencedKick): it raises KICKERS, then
  // loads CLOSED; closeShared() and a thread's teardown store CLOSED, then wait for
  // KICKERS to be 0 (seq_cst on both sides). So either we see CLOSED and write nothing, or
  // the closer waits for our write: never a write to a closed, possibly reused, descriptor,
  // and never a SIGIO after the context's relay is gone. Being one native call, a thread
  // terminated mid-kick cannot leave KICKERS raised.
  // The sleep this kick is for is read before the write: see sigioValue().
  const sigio = Atomics.load(w, W.SIGIO_KICK) !== 0;
  const signal = sigio
    ? { signo: SIGIO, pid: Atomics.load(w, W.PID), value: sigioValue(Atomics.load(w, W.TAG), Atomics.load(w, W.SLEEPS)) }
    : undefined;
  const done = fencedKick(state.fence, W.EVENTFD, signal);
  if (done === 0) return;
  Atomics.add(w, W.KICKS, 1);
  Atomics.store(state.times, T.LAST_KICK_NS, process.hrtime.bigint());
  if (done === 2) Atomics.add(w, W.SIGIO_KICKS, 1);
}

/**
 * The value a SIGIO kick carries: the context's tag and the number of the sleep it kicks.
 * A kicker that read sleep number S did so after the home thread counted sleep S, which it
 * does after it cleared the eventfd for the sleep before; so the eventfd write that follows
 * can only be consumed once sleep S has ended. If the home thread wakes from sleep S to
 * this record and its eventfd is empty, the write was lost: that is a rescue (poll()).
 */
export function sigioValue(tag: number, sleep: number): bigint {
  return (BigInt(tag >>> 0) << 32n) | BigInt(sleep >>> 0);
}

/** Marks the context closed and waits until no thread is inside kick(). */
export function closeShared(state: SharedState): void {
  Atomics.store(state.words, W.CLOSED, 1);
  // A kick is one or two system calls long: spin briefly rather than sleep.
  while (Atomics.load(state.words, W.KICKERS) !== 0) Atomics.wait(state.words, W.KICKERS, 0, 0.1);
}

/** aio_disable_external(): nests; external handlers are neither polled nor dispatched. */
export function disableExternal(state: SharedState): void {
  Atomics.add(state.words, W.EXTERNAL_DISABLE_CNT, 1);
}

/**
 * aio_enable_external() as fixed by QEMU 321d1dba8b: the last enable notifies, so a poller
 * asleep on an fd set without the external fds wakes and re-arms them. Enabling more
 * often than disabling throws and changes nothing.
 */
export function enableExternal(state: SharedState): void {
  const w = state.words;
  for (;;) {
    const old = Atomics.load(w, W.EXTERNAL_DISABLE_CNT);
    if (old <= 0) {
      throw invalidState('enableExternal() called more often than disableExternal()');
    }
    // The compare-exchange is the decrement; the notify() after it orders the new count
    // before NOTIFIED, so the woken poller rebuilds its set with the count it reads.
    if (Atomics.compareExchange(w, W.EXTERNAL_DISABLE_CNT, old, old - 1) === old) {
      if (old === 1) notify(state);
      return;
    }
  }
}

/** The monotonic counters of a context (uint32, wrapping). */
export interface AioCounters {
  notifies: number;
  /** eventfd writes by notify(). */
  kicks: number;
  sigioKicks: number;
  /**
   * Sleeps that this context's own SIGIO kick ended while its eventfd, written before the
   * signal was sent, was not readable: the eventfd failed and the signal saved the sleep.
   * 0 on a healthy host.
   */
  rescues: number;
  polls: number;
  /** Blocking ppolls (timeout != 0). */
  sleeps: number;
  bhRuns: number;
  bhSchedules: number;
  handlerRuns: number;
  timerRuns: number;
}

export interface AioStats extends AioCounters {
  /** Live state, for a watchdog in another thread. */
  polling: boolean;
  timeoutNs: bigint;
  sleepStartNs: bigint;
  lastKickNs: bigint;
  notifyMe: number;
  notified: boolean;
  externalDisableCnt: number;
  bhEnqueued: number;
  watchedFds: number;
  /** Waits use epoll (set once the context has many handlers), else ppoll. */
  epoll: boolean;
  closed: boolean;
}

/** The counters, each read atomically (they may move meanwhile). */
export function readCounters(state: SharedState): AioCounters {
  return {
    notifies: state.counter(W.NOTIFIES),
    kicks: state.counter(W.KICKS),
    sigioKicks: state.counter(W.SIGIO_KICKS),
    rescues: state.counter(W.RESCUES),
    polls: state.counter(W.POLLS),
    sleeps: state.counter(W.SLEEPS),
    bhRuns: state.counter(W.BH_RUNS),
    bhSchedules: state.counter(W.BH_SCHEDULES),
    handlerRuns: state.counter(W.HANDLER_RUNS),
    timerRuns: state.counter(W.TIMER_RUNS),
  };
}

export function readStats(state: SharedState): AioStats {
  return {
    ...readCounters(state),
    polling: state.load(W.POLLING) !== 0,
    timeoutNs: state.time(T.TIMEOUT_NS),
    sleepStartNs: state.time(T.SLEEP_START_NS),
    lastKickNs: state.time(T.LAST_KICK_NS),
    notifyMe: state.load(W.NOTIFY_ME),
    notified: state.load(W.NOTIFIED) !== 0,
    externalDisableCnt: state.load(W.EXTERNAL_DISABLE_CNT),
    bhEnqueued: state.load(W.BH_ENQUEUED),
    watchedFds: state.load(W.WATCHED_COUNT),
    epoll: state.load(W.EPOLL) !== 0,
    closed: state.load(W.CLOSED) !== 0,
  };
}
