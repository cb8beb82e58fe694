// HangWatchdog: watches an AioContext from another thread through its AioContextRef (the
// context's shared memory) and reports when its home thread has slept past `stallMs` while
// work is pending (notified, a scheduled bottom half, a ready fd), telling a lost wake-up
// (no kick reached the sleep, or one was consumed by another thread) from a late one (a
// kick is in flight and the thread has not run). It only reads shared memory and polls
// descriptors with a zero timeout: it never wakes the context it watches.
import { EventEmitter } from 'node:events';
import { AioContextRef } from '../aio/context-ref';
import { SharedState } from '../aio/shared-state';
import { invalidArgType } from '../errors';
import { validateBoolean, validateFunction, validateInteger, validateOptions } from '../validate';
import { StallMonitor } from './monitor';
import { readyNow } from './readiness';
import { ContextSnapshot, StallProbe, StallReport } from './stall';

export interface HangWatchdogOptions {
  /** A sleep longer than this with work pending is a stall (default 1000 ms). */
  stallMs?: number;
  /** Sampling period (default stallMs / 4, at most 250 ms). */
  intervalMs?: number;
  /** Called once per stalled sleep (again if a late stall turns out lost). */
  onStall?: (report: StallReport) => void;
  /**
   * Handler fds of the context that may be left out of its polled set (external clients):
   * one that is ready while the sleeping poll does not watch it is a stale fd set.
   */
  fds?: number[];
  /** Application work the shared state cannot show (e.g. a stop flag): descriptions, or []. */
  pending?: () => string[];
  /** Let the process exit while the watchdog runs (default true). */
  unref?: boolean;
}

export class HangWatchdog extends EventEmitter {
  readonly ref: AioContextRef;
  readonly stallMs: number;
  readonly intervalMs: number;
  readonly #monitor: StallMonitor;
  readonly #fds: number[];
  readonly #pending: (() => string[]) | undefined;
  #timer: NodeJS.Timeout | null;
  #reported = 0n;
  #reportedVerdict = '';
  #stalls = 0;

  constructor(ctxRef: AioContextRef, options?: HangWatchdogOptions) {
    super();
    if (!(ctxRef instanceof AioContextRef)) throw invalidArgType('ctxRef', 'an instance of AioContextRef', ctxRef);
    const o = validateOptions<HangWatchdogOptions>(options);
    this.ref = ctxRef;
    this.stallMs = o.stallMs === undefined ? 1000 : validateInteger(o.stallMs, 'options.stallMs', 1, 86_400_000);
    this.intervalMs =
      o.intervalMs === undefined
        ? Math.max(1, Math.min(250, Math.floor(this.stallMs / 4)))
        : validateInteger(o.intervalMs, 'options.intervalMs', 1, 86_400_000);
    if (o.onStall !== undefined) this.on('stall', validateFunction<(r: StallReport) => void>(o.onStall, 'options.onStall'));
    if (o.fds !== undefined && !Array.isArray(o.fds)) throw invalidArgType('options.fds', 'an instance of Array', o.fds);
    this.#fds = (o.fds ?? []).map((fd, i) => validateInteger(fd, `options.fds[${i}]`, 0, 2 ** 31 - 1));
    this.#pending = o.pending === undefined ? undefined : validateFunction<() => string[]>(o.pending, 'options.pending');
    const unref = o.unref === undefined ? true : validateBoolean(o.unref, 'options.unref');
    this.#monitor = new StallMonitor({ state: new SharedState(ctxRef.sab), probe: (s) => this.#probe(s) }, this.stallMs);
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
    if (unref) this.#timer.unref();
  }

  #probe(s: ContextSnapshot): StallProbe {
    const watched = new Set(s.watched.map((w) => w.fd));
    const ready = readyNow([s.eventfd, ...watched, ...this.#fds]);
    return {
      eventfdReadable: ready.has(s.eventfd),
      readyWatched: [...watched].filter((fd) => fd !== s.eventfd && ready.has(fd)),
      readyUnwatched: this.#fds.filter((fd) => !watched.has(fd) && ready.has(fd) && s.externalDisableCnt === 0),
      appPending: this.#pending ? this.#pending() : [],
      kicksSincePollStart: null,
    };
  }

  /** Classifies the context as it stands now (does not emit, keeps no history). */
  check(): StallReport {
    return this.#monitor.classifyNow();
  }

  /** Stalls reported so far. */
  get stalls(): number {
    return this.#stalls;
  }

  get closed(): boolean {
    return this.#timer === null;
  }

  #tick(): void {
    if (this.ref.stats.closed) {
      this.close();
      return;
    }
    const report = this.#monitor.check();
    if (report.verdict === 'ok') return;
    const sleep = this.ref.stats.sleepStartNs;
    if (sleep === this.#reported && (this.#reportedVerdict === report.verdict || this.#reportedVerdict === 'lost')) return;
    this.#reported = sleep;
    this.#reportedVerdict = report.verdict;
    this.#stalls++;
    this.emit('stall', report);
  }

  /** Stops watching. Idempotent. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
