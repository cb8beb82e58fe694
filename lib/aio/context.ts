// AioContext: QEMU's event loop (util/async.c, util/aio-posix.c, 5.2-8.0) over eventfd and
// ppoll. poll() runs on the home thread only (the thread that created the context: the
// object itself cannot leave it); notify(), bottom halves through BhRef, and external
// enable/disable work from any thread through AioContextRef.
import { closeOnThreadExit, gettid, getpid, openSignalRelay, SignalRelay } from '../sys';
import { closedError, invalidArgType, invalidArgValue, invalidState, outOfRange } from '../errors';
import { validateBoolean, validateOptions } from '../validate';
import { Attachment } from './attach';
import { Bh, BH_DELETED, BH_IDLE, BH_ONESHOT, BH_SCHEDULED, BhTable } from './bottom-half';
import { AioContextRef } from './context-ref';
import { EventNotifier } from './event-notifier';
import { FdHandler, HandlerNode, HandlerSet, makeNode, READ_EVENTS, WRITE_EVENTS } from './fd-handlers';
import { AioStats, closeShared, disableExternal, enableExternal, notify, readStats, sigioValue } from './notify';
import { SharedState, T, W } from './shared-state';
import { clockNs, Timer, TimerList } from './timers';

export interface AioContextOptions {
  /** Double every eventfd kick with kill(getpid(), SIGIO); 'auto' (default): on arm64. */
  sigioKick?: boolean | 'auto';
  name?: string;
}

/** Bottom halves taken for a round and not yet run (QEMU's BHListSlice); reused. */
interface Slice {
  /** bhs[next..count) are still to run; those taken to run are set to null (no stale references). */
  bhs: Array<Bh | null>;
  count: number;
  next: number;
}

/** The nearer of two timeouts in ns, -1 meaning infinite (qemu_soonest_timeout). */
function soonest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

export function resolveSigioKick(value: unknown): boolean {
  if (value === undefined || value === 'auto') return process.arch === 'arm64';
  if (typeof value !== 'boolean') throw outOfRange('options.sigioKick', "true, false or 'auto'", value);
  return value;
}

export class AioContext {
  readonly name: string;
  readonly #state: SharedState;
  readonly #notifier: EventNotifier;
  readonly #relay: SignalRelay | null;
  readonly #notifierFd: number;
  readonly #relayFd: number;
  readonly #bhs: BhTable;
  readonly #timers: TimerList;
  readonly #handlers: HandlerSet;
  readonly #slices: Slice[] = [];
  #attachment: Attachment | null = null;
  /** Run-out slices kept for reuse, so that a round of bottom halves allocates nothing. */
  readonly #spareSlices: Slice[] = [];
  #closed = false;
  /** The value a SIGIO kick for the current sleep carries (see sigioValue() in notify.ts). */
  #sigioValue = 0n;

  constructor(options?: AioContextOptions) {
    const o = validateOptions<AioContextOptions>(options);
    const sigio = resolveSigioKick(o.sigioKick);
    this.name = o.name === undefined ? 'aio-context' : String(o.name);
    this.#state = new SharedState();
    this.#notifier = new EventNotifier(false);
    try {
      this.#relay = sigio ? openSignalRelay(['SIGIO']) : null;
    } catch (err) {
      this.#notifier.close();
      throw err;
    }
    this.#notifierFd = this.#notifier.fd;
    // Whoever tears this thread down (a terminate(), a worker's exit) closes the context in
    // its shared state before the eventfd, with the fence closeShared() uses: a ref can
    // never kick a closed, maybe reused, descriptor number.
    closeOnThreadExit(this.#notifierFd, this.#state.fence);
    this.#relayFd = this.#relay ? this.#relay.fd : -1;
    const w = this.#state.words;
    Atomics.store(w, W.EVENTFD, this.#notifier.fd);
    Atomics.store(w, W.RELAY_FD, this.#relay ? this.#relay.fd : -1);
    Atomics.store(w, W.SIGIO_KICK, sigio ? 1 : 0);
    Atomics.store(w, W.PID, getpid());
    // A tag, not a secret: it tells this context's sigqueue values from another's.
    Atomics.store(w, W.TAG, Math.floor(Math.random() * 2 ** 31));
    Atomics.store(w, W.HOME_TID, gettid());
    this.#bhs = new BhTable(this.#state);
    this.#timers = new TimerList(
      () => notify(this.#state),
      () => Atomics.add(w, W.TIMER_RUNS, 1),
    );
    const own = [this.#notifier.fd];
    if (this.#relay) own.push(this.#relay.fd);
    this.#handlers = new HandlerSet(this.#state, own);
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError('AioContext');
  }

  /**
   * aio_poll(): waits (if `blocking` and nothing is due) for an fd, a bottom half, a timer
   * or a notify(), then runs one round: bottom halves, ready fd handlers, expired timers.
   * Returns true if that made progress (a non-idle bottom half, a handler or a timer ran;
   * a notify() alone is not progress). Home thread only; nested calls from callbacks work.
   */
  poll(blocking: boolean): boolean {
    this.#checkOpen();
    validateBoolean(blocking, 'blocking');
    const w = this.#state.words;
    Atomics.add(w, W.POLLS, 1);

    let timeout = blocking ? this.#computeTimeout() : 0;
    const useNotifyMe = timeout !== 0;
    if (useNotifyMe) {
      // QEMU: notify_me += 2; smp_mb(); if (notified) timeout = 0.
      // Pairs with notify(): it stores NOTIFIED, then loads NOTIFY_ME. We add to NOTIFY_ME,
      // then load NOTIFIED. Atomics.add and Atomics.load are both sequentially consistent
      // (on arm64 an acquire load is never hoisted above an earlier release RMW, unlike the
      // relaxed loads of QEMU's 2020 bug), so one of us sees the other: either we skip the
      // sleep or notify() writes the eventfd we are about to poll.
      Atomics.add(w, W.NOTIFY_ME, 2);
      if (Atomics.load(w, W.NOTIFIED) !== 0) timeout = 0;
    }
    // Read after NOTIFY_ME: enableExternal() lowers the count before its notify(), so a
    // poller that still builds the old set is either kicked or sees NOTIFIED.
    const externalDisabled = Atomics.load(w, W.EXTERNAL_DISABLE_CNT) !== 0;

    if (timeout !== 0) this.#beginSleep(timeout);
    const n = this.#handlers.wait(timeout, externalDisabled);
    const ready = this.#handlers.ready;
    let notifierReady = false;
    let relayReady = n < 0; // EINTR: our SIGIO handler may have run on this very thread
    let readyNodes: HandlerNode[] | null = null;
    for (let i = 0; i < n; i++) {
      const fd = ready[2 * i];
      if (fd === this.#notifierFd) notifierReady = true;
      else if (fd === this.#relayFd) relayReady = true;
      else {
        // Collected before any callback runs: a nested poll may overwrite `ready`.
        const node = this.#handlers.node(fd);
        if (!node) continue;
        node.revents = ready[2 * i + 1];
        (readyNodes ??= []).push(node);
      }
    }
    if (this.#relay && relayReady) {
      // Draining the relay pipe is not progress. A rescue is a sleep that a SIGIO kick of
      // this context, for this very sleep, ended while the eventfd written before that
      // signal was sent is empty: the eventfd failed and the signal saved the sleep (see
      // sigioValue() in notify.ts). Signals of other contexts, of other senders, or for
      // an earlier sleep are not rescues: a healthy host has none.
      if (n < 0) notifierReady = this.#notifier.testAndClear();
      if (
        this.#relay.drainFor(this.#sigioValue) === 2 &&
        timeout !== 0 &&
        !notifierReady &&
        !(notifierReady = this.#notifier.testAndClear())
      ) {
        Atomics.add(w, W.RESCUES, 1);
      }
    }
    if (timeout !== 0) this.#endSleep();
    // QEMU: store_release(notify_me - 2), "finish the poll before clearing the flag".
    if (useNotifyMe) Atomics.sub(w, W.NOTIFY_ME, 2);
    this.notifyAccept();

    let progress = this.#bhPoll();
    // aio_context_notifier_cb: the eventfd is cleared by its handler, never progress, and,
    // as in QEMU, only after the bottom halves: the read(2) is not on the path from a
    // wake-up to the bottom half that announced it. Clearing late loses nothing: NOTIFIED,
    // not the counter, carries the notification, and no new kick can be written while
    // NOTIFY_ME is back to 0, so the count read here is this sleep's own (or a stale one
    // that would only cause a spurious wake). A nested poll in a bottom half may find the
    // count still set and return at once, clearing it itself, as a nested aio_poll in QEMU.
    // A bottom half may have closed the context (an IOThread's stop): then there is nothing
    // left to clear, and close() has emptied the handlers and timers below.
    if (this.#closed) return progress;
    if (notifierReady) this.#notifier.testAndClear();
    if (readyNodes) progress = this.#dispatch(readyNodes) || progress;
    progress = this.#timers.run() || progress;
    return progress;
  }

  #beginSleep(timeout: number): void {
    const s = this.#state;
    // After the eventfd was cleared for the sleep before (see sigioValue()).
    const sleep = Atomics.add(s.words, W.SLEEPS, 1) + 1;
    if (this.#relay) this.#sigioValue = sigioValue(Atomics.load(s.words, W.TAG), sleep);
    Atomics.store(s.times, T.TIMEOUT_NS, BigInt(timeout));
    Atomics.store(s.times, T.SLEEP_START_NS, clockNs());
    Atomics.store(s.words, W.POLLING, 1);
  }

  #endSleep(): void {
    Atomics.store(this.#state.words, W.POLLING, 0);
    Atomics.store(this.#state.times, T.SLEEP_START_NS, 0n);
  }

  /** aio_compute_timeout(): 0 if a bottom half is scheduled, else the nearest timer. */
  #computeTimeout(): number {
    const bh = this.#bhs.timeoutNs(this.#slices);
    if (bh === 0) return 0;
    return soonest(bh, this.#timers.timeoutNs());
  }

  /**
   * aio_bh_poll(): takes the bottom halves enqueued so far as a new slice and runs every
   * slice in order; those scheduled meanwhile wait for the next round. A nested poll()
   * continues the outer slices, as QEMU's does, and dequeue() makes each run happen once.
   */
  #bhPoll(): boolean {
    const taken = this.#spareSlices.pop() ?? { bhs: [], count: 0, next: 0 };
    taken.count = this.#bhs.takeEnqueued(taken.bhs);
    taken.next = 0;
    if (taken.count > 0) this.#slices.push(taken);
    else this.#spareSlices.push(taken);
    let progress = false;
    while (this.#slices.length > 0) {
      // Read afresh after every run: a nested poll may have run this slice out and recycled it.
      const slice = this.#slices[0];
      if (slice.next === slice.count) {
        this.#slices.shift();
        this.#spareSlices.push(slice);
        continue;
      }
      const bh = slice.bhs[slice.next]!;
      slice.bhs[slice.next++] = null;
      const flags = bh.dequeue();
      if (flags === 0) continue;
      if (flags & (BH_DELETED | BH_ONESHOT)) bh.release();
      if ((flags & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED) {
        if (!(flags & BH_IDLE)) progress = true;
        Atomics.add(this.#state.words, W.BH_RUNS, 1);
        bh.run();
      }
    }
    return progress;
  }

  /**
   * aio_dispatch_ready_handlers(): each readiness runs its handler at most once. As in
   * QEMU's aio_dispatch_handler(), removal and aio_node_check() are checked before each
   * callback: a read callback may remove its node or disable external clients.
   */
  #dispatch(ready: HandlerNode[]): boolean {
    const w = this.#state.words;
    let progress = false;
    for (const node of ready) {
      const revents = node.revents;
      node.revents = 0;
      if (revents & READ_EVENTS && node.read && this.#runnable(node)) {
        Atomics.add(w, W.HANDLER_RUNS, 1);
        progress = true;
        node.read(node.fd);
      }
      if (revents & WRITE_EVENTS && node.write && this.#runnable(node)) {
        Atomics.add(w, W.HANDLER_RUNS, 1);
        progress = true;
        node.write(node.fd);
      }
    }
    return progress;
  }

  /** Not removed or replaced, and not an external client while those are disabled. */
  #runnable(node: HandlerNode): boolean {
    return !node.deleted && !(node.external && Atomics.load(this.#state.words, W.EXTERNAL_DISABLE_CNT) !== 0);
  }

  /**
   * aio_ctx_prepare() for a loop attachment (QEMU's GSource): announce that this
   * thread may sleep in its Node event loop, and return how long it may (ns, -1 forever).
   */
  #attachPrepare(): number {
    this.#checkOpen();
    const w = this.#state.words;
    // QEMU: notify_me |= 1; smp_mb(); then compute the timeout. Pairs with notify() as the
    // += 2 in poll() does: bit 0 set by a seq_cst RMW before we read bottom halves and
    // NOTIFIED, so a notify() we miss here sees the bit and writes the eventfd, which the
    // loop watches (uv_poll). Checking NOTIFIED keeps a notify() sticky on this path too.
    Atomics.or(w, W.NOTIFY_ME, 1);
    if (Atomics.load(w, W.NOTIFIED) !== 0) return 0;
    return this.#computeTimeout();
  }

  /**
   * aio_ctx_check(): the loop woke; clear bit 0 (after the wait, as QEMU's
   * store_release) and let the caller run poll(false) to dispatch.
   */
  #attachCheck(): void {
    Atomics.and(this.#state.words, W.NOTIFY_ME, ~1);
  }

  /** The poll set now: fd/events pairs (the context's own fds first) and a version that changes with it. */
  #attachFds(): { version: number; fds: number[]; events: number[] } {
    this.#checkOpen();
    const p = this.#handlers.pollSet(Atomics.load(this.#state.words, W.EXTERNAL_DISABLE_CNT) !== 0);
    const fds: number[] = [];
    const events: number[] = [];
    for (let i = 0; i < p.length; i++) {
      fds.push(p.fd(i));
      events.push(p.events(i));
    }
    return { version: this.#handlers.version, fds, events };
  }

  /**
   * Runs this context from the thread's Node event loop without blocking it (QEMU's
   * GSource): bottom halves, fd handlers and timers are dispatched as they become due.
   * One attachment at a time; it keeps the loop alive until unref() or detach().
   */
  attach(): Attachment {
    this.#checkOpen();
    if (this.#attachment?.attached) throw invalidState('the AioContext is already attached; detach() it first');
    // The loop source's hooks are closures over private methods: an Attachment is the only
    // caller, and they stay out of the public class (and its .d.ts).
    this.#attachment = new Attachment({
      prepare: () => this.#attachPrepare(),
      check: () => this.#attachCheck(),
      dispatch: () => this.poll(false),
      fds: () => this.#attachFds(),
    });
    return this.#attachment;
  }

  /** aio_notify(): see notify.ts. Any thread may do this through ref(). */
  notify(): void {
    this.#checkOpen();
    notify(this.#state);
  }

  /** aio_notify_accept(): consume notifications before running what they announced. */
  notifyAccept(): void {
    this.#checkOpen();
    // QEMU: notified = false; smp_mb(). The seq_cst store orders the clear before this
    // round's reads of bottom-half flags and handler state; pairs with the NOTIFIED store
    // in notify(): a notify() whose writes we might miss sets NOTIFIED again after this.
    Atomics.store(this.#state.words, W.NOTIFIED, 0);
  }

  /** aio_set_fd_handler(): install, replace or (null, or no callbacks) remove; notifies. */
  setFdHandler(fd: number, handler: FdHandler | null): void {
    this.#checkOpen();
    const node = makeNode(fd, handler);
    // Its own fds are the context's wake-up path: a handler there (or its removal, which
    // would drop the fd from the epoll set) would swallow every later notify().
    if (this.#handlers.isOwn(fd)) throw invalidArgValue('fd', fd, "is one of the context's own descriptors");
    this.#handlers.set(fd, node);
    notify(this.#state); // a sleeping poll must re-read its fd set
  }

  /** aio_set_event_notifier(): `read` runs with the notifier when it is set; null removes. */
  setEventNotifier(
    notifier: EventNotifier,
    read: ((notifier: EventNotifier) => void) | null,
    options?: { external?: boolean },
  ): void {
    if (!(notifier instanceof EventNotifier)) throw invalidArgType('notifier', 'an instance of EventNotifier', notifier);
    const o = validateOptions<{ external?: boolean }>(options);
    if (read !== null && typeof read !== 'function') throw invalidArgType('read', 'of type function or null', read);
    this.setFdHandler(notifier.fd, read ? { read: () => read(notifier), external: o.external } : null);
  }

  /** aio_bh_new(). */
  bhNew(cb: () => void): Bh {
    this.#checkOpen();
    return this.#bhs.create(cb);
  }

  /** aio_bh_schedule_oneshot(): runs `cb` once in the next round. */
  bhScheduleOneshot(cb: () => void): void {
    this.#checkOpen();
    this.#bhs.create(cb, BH_ONESHOT).schedule();
  }

  /** A timer on clockNs(). */
  timerNew(cb: () => void): Timer {
    this.#checkOpen();
    return this.#timers.create(cb);
  }

  /** The clock timers use: CLOCK_MONOTONIC in ns (QEMU_CLOCK_REALTIME). */
  clockNs(): bigint {
    return clockNs();
  }

  disableExternal(): void {
    this.#checkOpen();
    disableExternal(this.#state);
  }

  enableExternal(): void {
    this.#checkOpen();
    enableExternal(this.#state);
  }

  get externalDisabled(): boolean {
    return Atomics.load(this.#state.words, W.EXTERNAL_DISABLE_CNT) > 0;
  }

  /** A handle for other threads (structured-cloneable). */
  ref(): AioContextRef {
    this.#checkOpen();
    return new AioContextRef({ kind: 'AioContextRef', sab: this.#state.sab, name: this.name });
  }

  get stats(): AioStats {
    return readStats(this.#state);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Releases the eventfd and the relay; later use throws ERR_AIO_CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#attachment?.detach(); // the loop stops watching our fds before they close
    this.#closed = true;
    closeShared(this.#state); // no kick can be writing the eventfd after this
    this.#handlers.close();
    this.#timers.close();
    this.#slices.length = 0;
    this.#spareSlices.length = 0;
    this.#relay?.close();
    this.#notifier.close();
  }
}
