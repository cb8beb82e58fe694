// Stall classification: given a snapshot of a context's shared state (lib/aio/shared-state)
// and a few facts probed beside it, is its home thread asleep while work is pending, and
// if so, is the wake-up lost (no kick reached this sleep) or late (a kick is in flight and
// the sleeper has not run yet)? One function, used by the in-process HangWatchdog, by the
// replays of QEMU's bugs, and by `aio-notify inspect` on another process's memory.
import { AioCounters, readCounters } from '../aio/notify';
import { SharedState, T, W, WATCHED_MAX } from '../aio/shared-state';

export interface ContextSnapshot {
  /** CLOCK_MONOTONIC (ns) when the snapshot was taken. */
  atNs: bigint;
  notifyMe: number;
  notified: number;
  externalDisableCnt: number;
  bhEnqueued: number;
  polling: number;
  closed: number;
  homeTid: number;
  eventfd: number;
  relayFd: number;
  sigioKick: number;
  /** Poll timeout of the current or last ppoll in ns (-1 infinite). */
  timeoutNs: bigint;
  sleepStartNs: bigint;
  lastKickNs: bigint;
  counters: AioCounters;
  /** The polled fd set as published (at most WATCHED_MAX entries). */
  watched: Array<{ fd: number; events: number }>;
}

/** Reads a consistent-enough snapshot (each word atomically; the set may move meanwhile). */
export function readSnapshot(state: SharedState, atNs: bigint): ContextSnapshot {
  const n = Math.min(Math.max(state.load(W.WATCHED_COUNT), 0), WATCHED_MAX);
  const watched: ContextSnapshot['watched'] = [];
  for (let i = 0; i < n; i++) {
    watched.push({ fd: Atomics.load(state.watched, 2 * i), events: Atomics.load(state.watched, 2 * i + 1) });
  }
  return {
    atNs,
    notifyMe: state.load(W.NOTIFY_ME),
    notified: state.load(W.NOTIFIED),
    externalDisableCnt: state.load(W.EXTERNAL_DISABLE_CNT),
    bhEnqueued: state.load(W.BH_ENQUEUED),
    polling: state.load(W.POLLING),
    closed: state.load(W.CLOSED),
    homeTid: state.load(W.HOME_TID),
    eventfd: state.load(W.EVENTFD),
    relayFd: state.load(W.RELAY_FD),
    sigioKick: state.load(W.SIGIO_KICK),
    timeoutNs: state.time(T.TIMEOUT_NS),
    sleepStartNs: state.time(T.SLEEP_START_NS),
    lastKickNs: state.time(T.LAST_KICK_NS),
    counters: readCounters(state),
    watched,
  };
}

/** Facts about pending work that the shared state alone cannot show. */
export interface StallProbe {
  /** The context's eventfd holds a count (a kick nobody has consumed yet); null if unknown. */
  eventfdReadable: boolean | null;
  /** Descriptors of the polled set that are ready now. */
  readyWatched: number[];
  /** Descriptors of the context's handlers that are ready, enabled, and not in the polled set. */
  readyUnwatched: number[];
  /** Pending work of the application the state cannot show (e.g. 'stop requested'). */
  appPending: string[];
  /**
   * Kicks issued since the sleeping poll began (after its fd set and timeout were fixed),
   * when known; otherwise the classifier falls back to the last kick's time.
   */
  kicksSincePollStart: number | null;
}

export type Verdict = 'ok' | 'lost' | 'late';

/**
 * Why: 'running' / 'sleeping' / 'idle' / 'closed' for ok; for a stall:
 *  - 'wake-in-flight': a kick landed (eventfd readable or a polled fd ready) and the
 *    sleeper has not run since: late (scheduler, hypervisor, a stopped thread);
 *  - 'kick-consumed': a kick was issued after the poll began, the eventfd is empty, and
 *    the sleeper never woke: another thread ate it (21a03d17f2, b37548fcd1): lost;
 *  - 'stale-fd-set': a ready, enabled handler fd is missing from the set the sleeper polls
 *    and no kick came to make it re-arm (321d1dba8b): lost;
 *  - 'no-kick': work is pending and nobody kicked (eabc977973, 2362a28ea1): lost;
 *  - 'timeout-overdue': a finite poll timeout expired long ago and the sleeper has not run.
 */
export type StallCause =
  | 'running'
  | 'sleeping'
  | 'idle'
  | 'closed'
  | 'wake-in-flight'
  | 'kick-consumed'
  | 'stale-fd-set'
  | 'no-kick'
  | 'timeout-overdue';

export interface PendingItem {
  kind: 'notified' | 'bottom-half' | 'fd-ready' | 'fd-unwatched' | 'app';
  detail: string;
}

export interface StallReport {
  verdict: Verdict;
  cause: StallCause;
  explanation: string;
  /** How long the home thread has been asleep (0 when it is not). */
  asleepMs: number;
  pending: PendingItem[];
  dump: {
    notifyMe: number;
    notified: number;
    externalDisableCnt: number;
    pendingBottomHalves: number;
    /** 'infinite' or the timeout in ns. */
    pollTimeout: string;
    kicksSincePollStart: number | null;
    kicks: number;
    notifies: number;
    lastKickAgoMs: number | null;
    eventfdReadable: boolean | null;
    homeTid: number;
    watched: Array<{ fd: number; events: number }>;
  };
}

function ms(ns: bigint): number {
  return Number(ns) / 1e6;
}

/** Classifies one snapshot; `stallNs` is how long a sleep with pending work is tolerated. */
export function classify(s: ContextSnapshot, probe: StallProbe, stallNs: bigint): StallReport {
  const asleep = s.polling === 1 && s.sleepStartNs > 0n;
  const asleepNs = asleep ? s.atNs - s.sleepStartNs : 0n;
  const kickedInSleep = s.lastKickNs > 0n && asleep && s.lastKickNs >= s.sleepStartNs;
  const kicksSince = probe.kicksSincePollStart ?? (kickedInSleep ? 1 : 0);
  const pending: PendingItem[] = [];
  if (s.notified) pending.push({ kind: 'notified', detail: 'notified is set' });
  if (s.bhEnqueued > 0) pending.push({ kind: 'bottom-half', detail: `${s.bhEnqueued} bottom half(s) scheduled` });
  for (const fd of probe.readyWatched) pending.push({ kind: 'fd-ready', detail: `polled fd ${fd} is ready` });
  for (const fd of probe.readyUnwatched) {
    pending.push({ kind: 'fd-unwatched', detail: `handler fd ${fd} is ready but not in the polled set` });
  }
  for (const what of probe.appPending) pending.push({ kind: 'app', detail: what });

  const report = (verdict: Verdict, cause: StallCause, explanation: string): StallReport => ({
    verdict,
    cause,
    explanation,
    asleepMs: ms(asleepNs),
    pending,
    dump: {
      notifyMe: s.notifyMe,
      notified: s.notified,
      externalDisableCnt: s.externalDisableCnt,
      pendingBottomHalves: s.bhEnqueued,
      pollTimeout: s.timeoutNs < 0n ? 'infinite' : String(s.timeoutNs),
      kicksSincePollStart: probe.kicksSincePollStart ?? (asleep ? (kickedInSleep ? 1 : 0) : null),
      kicks: s.counters.kicks,
      notifies: s.counters.notifies,
      lastKickAgoMs: s.lastKickNs > 0n ? ms(s.atNs - s.lastKickNs) : null,
      eventfdReadable: probe.eventfdReadable,
      homeTid: s.homeTid,
      watched: s.watched,
    },
  });

  if (s.closed) return report('ok', 'closed', 'the context is closed');
  if (!asleep) return report('ok', 'running', 'the home thread is not asleep');
  if (s.timeoutNs >= 0n && asleepNs > s.timeoutNs + stallNs) {
    return report('late', 'timeout-overdue', `its ${ms(s.timeoutNs)} ms poll timeout expired long ago and it has not run`);
  }
  if (asleepNs < stallNs) return report('ok', 'sleeping', 'asleep for less than the stall threshold');
  if (pending.length === 0) return report('ok', 'idle', 'asleep with nothing pending');
  if (probe.eventfdReadable || probe.readyWatched.length > 0) {
    return report('late', 'wake-in-flight', 'a kick landed (the eventfd or a polled fd is ready) but the sleeper has not run');
  }
  if (kicksSince > 0) {
    return report(
      'lost',
      'kick-consumed',
      `${kicksSince} kick(s) were issued after this poll began, the eventfd is empty and the sleeper never woke: another thread consumed the wake-up`,
    );
  }
  if (probe.readyUnwatched.length > 0) {
    return report('lost', 'stale-fd-set', 'a ready handler fd is missing from the polled set and no kick came to make the poller re-arm');
  }
  return report('lost', 'no-kick', 'work is pending and no kick was issued since the sleep began');
}
