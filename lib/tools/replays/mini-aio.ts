// The primitives every replay builds its era's protocol from: QEMU's EventNotifier on a
// real eventfd, bottom-half flags, ppoll(2), and the bookkeeping a real AioContext
// publishes in its SharedState (kicks, sleeps, the polled set). Every access to shared
// words is an Atomics operation (sequentially consistent: QEMU's smp_mb() on both sides),
// so the replays lose wake-ups through their protocol logic only, as the historical bugs
// did, never through memory ordering (native/tools/litmus.cc and protocol.cc cover that).
import { T, W, WATCHED_MAX } from '../../aio/shared-state';
import { eventfdRead, eventfdWrite } from '../../sys/fd';
import { PollFdArray, POLLERR, POLLHUP, POLLIN, ppoll } from '../../sys/poll';
import { gettid } from '../../sys/signals';
import { BH_MAX, R, ReplayMemory, RT } from './memory';

export const READ_EVENTS = POLLIN | POLLHUP | POLLERR;

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** The replay was shut down by its orchestrator: unwind the actor. */
export class ReplayShutdown extends Error {}

export interface PollEntry {
  fd: number;
  events: number;
}

export class MiniCtx {
  readonly m: ReplayMemory;
  /** The context's notifier (ctx->notifier): an eventfd. */
  readonly efd: number;
  readonly home: boolean;
  readonly #pfds = new PollFdArray(WATCHED_MAX);

  constructor(m: ReplayMemory, home: boolean) {
    this.m = m;
    this.home = home;
    this.efd = m.state.load(W.EVENTFD);
  }

  get w(): Int32Array {
    return this.m.state.words;
  }

  load(word: number): number {
    return Atomics.load(this.m.state.words, word);
  }

  get fixed(): boolean {
    return this.m.get(R.VARIANT) === 1;
  }

  get shutdown(): boolean {
    return this.m.get(R.SHUTDOWN) !== 0;
  }

  /** Throws ReplayShutdown once the orchestrator ended the replay. */
  checkShutdown(): void {
    if (this.shutdown) throw new ReplayShutdown('replay shut down');
  }

  // --- EventNotifier (util/event_notifier-posix.c) ---------------------------------------

  /** event_notifier_set(&ctx->notifier): a kick, counted and timed like the real loop's. */
  notifierSet(): void {
    eventfdWrite(this.efd, 1n);
    Atomics.store(this.m.state.times, T.LAST_KICK_NS, nowNs());
    Atomics.add(this.w, W.KICKS, 1);
  }

  /** event_notifier_test_and_clear(&ctx->notifier). */
  notifierTestAndClear(): boolean {
    return eventfdRead(this.efd) !== null;
  }

  countNotify(): void {
    Atomics.add(this.w, W.NOTIFIES, 1);
  }

  // --- bottom halves -------------------------------------------------------------------

  /** Sets BH `i` scheduled; true if it was not already (QEMU's atomic_xchg(&bh->scheduled, 1) == 0). */
  bhMarkScheduled(i: number): boolean {
    Atomics.add(this.w, W.BH_SCHEDULES, 1);
    const fresh = Atomics.exchange(this.m.r, R.BH_BASE + i, 1) === 0;
    if (fresh) Atomics.add(this.w, W.BH_ENQUEUED, 1);
    return fresh;
  }

  bhScheduled(i: number): boolean {
    return Atomics.load(this.m.r, R.BH_BASE + i) !== 0;
  }

  anyBhScheduled(): boolean {
    for (let i = 0; i < BH_MAX; i++) if (this.bhScheduled(i)) return true;
    return false;
  }

  /** aio_bh_poll: runs every scheduled BH once (xchg(&bh->scheduled, 0)); true if any ran. */
  bhPoll(run: (i: number) => void): boolean {
    let progress = false;
    for (let i = 0; i < BH_MAX; i++) {
      if (Atomics.exchange(this.m.r, R.BH_BASE + i, 0) === 0) continue;
      Atomics.sub(this.w, W.BH_ENQUEUED, 1);
      Atomics.add(this.w, W.BH_RUNS, 1);
      Atomics.add(this.m.r, R.BH_RUNS_BASE + i, 1);
      run(i);
      progress = true;
    }
    return progress;
  }

  bhRuns(i: number): number {
    return this.m.get(R.BH_RUNS_BASE + i);
  }

  /** aio_compute_timeout: 0 if a BH is scheduled, else infinite (no timers in the replays). */
  computeTimeout(): number {
    return this.anyBhScheduled() ? 0 : -1;
  }

  // --- external clients ------------------------------------------------------------------

  externalDisabled(): boolean {
    return this.load(W.EXTERNAL_DISABLE_CNT) !== 0;
  }

  /** aio_disable_external. */
  disableExternal(): void {
    Atomics.add(this.w, W.EXTERNAL_DISABLE_CNT, 1);
  }

  /** The atomic_fetch_dec of aio_enable_external: returns the old count. */
  enableExternalDec(): number {
    return Atomics.sub(this.w, W.EXTERNAL_DISABLE_CNT, 1);
  }

  /** The handler fds of this context: its notifier and, when the scenario has one, the device. */
  handlerFds(): Array<PollEntry & { external: boolean }> {
    const out: Array<PollEntry & { external: boolean }> = [{ fd: this.efd, events: READ_EVENTS, external: false }];
    const device = this.m.get(R.DEVICE_FD);
    if (device >= 0) out.push({ fd: device, events: READ_EVENTS, external: true });
    return out;
  }

  /** The fd set a poll builds: aio_node_check() drops external handlers while disabled. */
  buildFdSet(): PollEntry[] {
    return this.handlerFds().filter((h) => !h.external || !this.externalDisabled());
  }

  // --- polling ---------------------------------------------------------------------------

  /**
   * Start of the home thread's poll phase (QEMU's notify_me += 2: its fd set and timeout are
   * fixed after this). The sleep is published as starting here, so a kick that lands
   * between this point and ppoll counts as a kick of this sleep.
   */
  beginPoll(): void {
    if (!this.home) return;
    const now = nowNs();
    Atomics.store(this.m.rt, RT.POLL_START_NS, now);
    Atomics.store(this.m.state.times, T.SLEEP_START_NS, now);
    this.m.set(R.KICKS_AT_POLL_START, Atomics.load(this.w, W.KICKS));
    this.m.set(R.IN_POLL, 1);
  }

  endPoll(): void {
    if (!this.home) return;
    this.m.set(R.IN_POLL, 0);
    Atomics.store(this.m.state.times, T.SLEEP_START_NS, 0n);
  }

  /**
   * ppoll(2) over `entries`, publishing the sleep like the real loop when this is the home
   * thread and the timeout is not 0. `beforeSleep` runs after the sleep is published and
   * before the system call (the late-wake replay stalls there). Returns revents per entry.
   */
  ppoll(entries: PollEntry[], timeoutNs: number, beforeSleep?: () => void): number[] {
    const p = this.#pfds;
    p.length = 0;
    for (const e of entries) p.push(e.fd, e.events);
    const publish = this.home && timeoutNs !== 0;
    const st = this.m.state;
    if (publish) {
      for (let i = 0; i < entries.length; i++) {
        Atomics.store(st.watched, 2 * i, entries[i].fd);
        Atomics.store(st.watched, 2 * i + 1, entries[i].events);
      }
      Atomics.store(st.words, W.WATCHED_COUNT, entries.length);
      Atomics.store(st.times, T.TIMEOUT_NS, BigInt(timeoutNs));
      if (!this.m.get(R.IN_POLL)) Atomics.store(st.times, T.SLEEP_START_NS, nowNs());
      Atomics.store(st.words, W.POLLING, 1);
      Atomics.add(st.words, W.SLEEPS, 1);
    }
    try {
      beforeSleep?.();
      while (ppoll(p, timeoutNs) < 0) {
        // EINTR: a signal for this thread; poll again.
      }
    } finally {
      if (publish) {
        Atomics.store(st.words, W.POLLING, 0);
        Atomics.store(st.times, T.SLEEP_START_NS, 0n);
      }
      if (this.home) Atomics.add(st.words, W.POLLS, 1);
    }
    return entries.map((_, i) => p.revents(i));
  }

  /** The device's handler (the virtio ioeventfd read callback): consumes it and counts. */
  handleDevice(): void {
    const device = this.m.get(R.DEVICE_FD);
    if (device >= 0 && eventfdRead(device) !== null) {
      Atomics.add(this.m.r, R.DEVICE_HANDLED, 1);
      Atomics.add(this.w, W.HANDLER_RUNS, 1);
    }
  }

  /** Publishes this thread as the home thread. */
  static claimHome(m: ReplayMemory): MiniCtx {
    Atomics.store(m.state.words, W.HOME_TID, gettid());
    return new MiniCtx(m, true);
  }
}
