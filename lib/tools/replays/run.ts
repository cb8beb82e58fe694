// Runs one replay: its actors in worker threads over a real eventfd and ppoll, a
// StallMonitor sampling its shared state from this thread (the same classification the
// HangWatchdog uses), and a verdict: the historical protocol must hang and be classified as
// the scenario expects; the fixed one must get the work done.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { W } from '../../aio/shared-state';
import { close, eventfd, eventfdWrite } from '../../sys/fd';
import { invalidArgType, outOfRange } from '../../errors';
import { validateBoolean, validateInteger, validateOptions } from '../../validate';
import { Beacon } from '../../observability/beacon';
import { StallMonitor } from '../../observability/monitor';
import { readyNow } from '../../observability/readiness';
import { ContextSnapshot, StallProbe, StallReport } from '../../observability/stall';
import { R, ReplayMemory } from './memory';
import { Scenario } from './scenario';
import { findScenario, SCENARIOS } from './scenarios';

export interface ReplayOptions {
  /** Run the fixed protocol instead of the historical one (default false). */
  fixed?: boolean;
  /** How long a sleep with pending work is tolerated before it is a stall (default 200 ms). */
  stallMs?: number;
  /** Give up after this long (default 20 s + 5 x stallMs). */
  timeoutMs?: number;
  /** Publish a state beacon for `aio-notify inspect` (default true). */
  beacon?: boolean;
}

export interface ReplayOutcome {
  scenario: string;
  commit: string;
  kind: Scenario['kind'];
  variant: 'historical' | 'fixed';
  expected: Scenario['expect'] | null;
  /** The work the scenario is about got done. */
  completed: boolean;
  /** The first stall the monitor reported (verdict lost or late), if any. */
  stall: StallReport | null;
  pass: boolean;
  reason: string;
  durationMs: number;
}

interface ActorMessage {
  type: 'done' | 'error';
  role: string;
  message?: string;
}

const ACTOR_FILE = join(__dirname, 'actor-worker.js');

function scenarioOf(id: unknown): Scenario {
  if (typeof id !== 'string') throw invalidArgType('scenario', 'of type string', id);
  const s = findScenario(id);
  if (!s) throw outOfRange('scenario', `one of ${SCENARIOS.map((x) => `'${x.id}'`).join(', ')}`, id);
  return s;
}

/** A live replay: start() it, watch it, and always shutdown() it. */
export class ReplayRun {
  readonly scenario: Scenario;
  readonly fixed: boolean;
  readonly stallMs: number;
  readonly timeoutMs: number;
  readonly memory = new ReplayMemory();
  readonly monitor: StallMonitor;
  readonly eventfd: number;
  readonly deviceFd: number;
  #beacon: Beacon | null = null;
  #workers: Worker[] = [];
  #exits: Array<Promise<void>> = [];
  #errors: string[] = [];
  #started = 0;
  #closed = false;

  constructor(scenario: string, options?: ReplayOptions) {
    this.scenario = scenarioOf(scenario);
    const o = validateOptions<ReplayOptions>(options);
    this.fixed = o.fixed === undefined ? false : validateBoolean(o.fixed, 'options.fixed');
    this.stallMs = o.stallMs === undefined ? 200 : validateInteger(o.stallMs, 'options.stallMs', 10, 600000);
    this.timeoutMs =
      o.timeoutMs === undefined ? 20000 + 5 * this.stallMs : validateInteger(o.timeoutMs, 'options.timeoutMs', 100, 3600000);
    const withBeacon = o.beacon === undefined ? true : validateBoolean(o.beacon, 'options.beacon');
    const m = this.memory;
    this.eventfd = eventfd(0);
    this.deviceFd = this.scenario.device ? eventfd(0) : -1;
    Atomics.store(m.state.words, W.EVENTFD, this.eventfd);
    Atomics.store(m.state.words, W.RELAY_FD, -1);
    m.set(R.DEVICE_FD, this.deviceFd);
    m.set(R.VARIANT, this.fixed ? 1 : 0);
    m.set(R.HOLD_MS, 5 * this.stallMs);
    if (withBeacon) {
      this.#beacon = new Beacon('replay', new Uint8Array(m.sab), `${this.scenario.id}.${this.fixed ? 'fixed' : 'historical'}`);
    }
    this.monitor = new StallMonitor({ state: m.state, probe: (s) => this.#probe(s) }, this.stallMs);
  }

  /** Facts beside the shared state: fd readiness, the app-level pending work, kicks since the poll began. */
  #probe(s: ContextSnapshot): StallProbe {
    const m = this.memory;
    const watchedFds = new Set(s.watched.map((w) => w.fd));
    const handlers = [{ fd: this.eventfd, external: false }];
    if (this.deviceFd >= 0) handlers.push({ fd: this.deviceFd, external: true });
    const ready = readyNow([...watchedFds, ...handlers.map((h) => h.fd)]);
    return {
      eventfdReadable: ready.has(this.eventfd),
      readyWatched: [...watchedFds].filter((fd) => fd !== this.eventfd && ready.has(fd)),
      readyUnwatched: handlers
        .filter((h) => h.fd !== this.eventfd && !watchedFds.has(h.fd) && (!h.external || s.externalDisableCnt === 0))
        .filter((h) => ready.has(h.fd))
        .map((h) => h.fd),
      appPending: this.scenario.appPending?.(m) ?? [],
      kicksSincePollStart: m.get(R.IN_POLL) ? (s.counters.kicks - m.get(R.KICKS_AT_POLL_START)) >>> 0 : null,
    };
  }

  /** Starts every actor's worker thread. */
  start(): void {
    this.#started = Date.now();
    for (const role of this.scenario.roles) {
      const worker = new Worker(ACTOR_FILE, {
        workerData: { scenario: this.scenario.id, role, sab: this.memory.sab },
        name: `replay-${this.scenario.id}-${role}`,
      });
      worker.on('message', (msg: ActorMessage) => {
        if (msg.type === 'error') this.#errors.push(`${msg.role}: ${msg.message}`);
      });
      worker.on('error', (e) => this.#errors.push(`${role}: ${e.message}`));
      this.#exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
      this.#workers.push(worker);
    }
  }

  /** Kernel thread ids by role (0 until a thread has started). */
  tids(): Record<string, number> {
    const out: Record<string, number> = {};
    this.scenario.roles.forEach((role, i) => (out[role] = this.memory.get(R.TID_BASE + i)));
    return out;
  }

  get errors(): readonly string[] {
    return this.#errors;
  }

  /** Every actor except the home thread has returned. */
  #othersDone(): boolean {
    return this.memory.get(R.ACTORS_DONE) >= this.scenario.roles.length - 1;
  }

  /**
   * Samples until the outcome is known: the historical protocol stalls (lost), the fixed
   * one completes, the control shows its late stall and completes, or time runs out. The
   * replay keeps running (hung, if it hung) until shutdown().
   */
  async outcome(onStall?: (report: StallReport) => void): Promise<ReplayOutcome> {
    const interval = Math.max(5, Math.min(50, Math.floor(this.stallMs / 5)));
    const deadline = this.#started + this.timeoutMs;
    const control = this.scenario.kind === 'control';
    let stall: StallReport | null = null;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      const report = this.monitor.check();
      if (report.verdict !== 'ok' && (!stall || (stall.verdict === 'late' && report.verdict === 'lost'))) {
        stall = report;
        onStall?.(report);
      }
      const completed = this.scenario.completed(this.memory);
      const done =
        this.#errors.length > 0 ||
        Date.now() > deadline ||
        stall?.verdict === 'lost' ||
        (control ? completed && stall !== null : this.fixed ? completed && this.#othersDone() : completed);
      if (done) return this.#judge(completed, stall);
    }
  }

  #judge(completed: boolean, stall: StallReport | null): ReplayOutcome {
    const s = this.scenario;
    const base = {
      scenario: s.id,
      commit: s.commit,
      kind: s.kind,
      variant: this.fixed ? ('fixed' as const) : ('historical' as const),
      expected: s.expect,
      completed,
      stall,
      durationMs: Date.now() - this.#started,
    };
    const verdict = (pass: boolean, reason: string): ReplayOutcome => ({ ...base, pass, reason });
    if (this.#errors.length) return verdict(false, `actor failed: ${this.#errors.join('; ')}`);
    const matches = (r: StallReport | null): boolean =>
      r !== null &&
      r.verdict === s.expect.verdict &&
      r.cause === s.expect.cause &&
      s.expect.pending.every((k) => r.pending.some((p) => p.kind === k));
    const seen = stall ? `${stall.verdict} (${stall.cause})` : 'no stall';
    if (s.kind === 'control') {
      if (!matches(stall)) return verdict(false, `expected ${s.expect.verdict} (${s.expect.cause}), saw ${seen}`);
      if (!completed) return verdict(false, 'the late wake-up never arrived');
      return verdict(true, `classified ${seen}, then the wake-up arrived and the work completed`);
    }
    if (!this.fixed) {
      if (completed) return verdict(false, 'the historical protocol did not hang (the work completed)');
      if (!matches(stall)) return verdict(false, `expected ${s.expect.verdict} (${s.expect.cause}), saw ${seen}`);
      return verdict(true, `hung as in ${s.commit}: ${seen}`);
    }
    if (stall?.verdict === 'lost') return verdict(false, `the fixed protocol lost a wake-up: ${seen}`);
    if (!completed) return verdict(false, 'the fixed protocol did not complete in time');
    return verdict(true, stall ? `completed (after a ${seen})` : 'completed without a stall');
  }

  /** Ends the replay: the shutdown flag, then a rescue kick; joins every actor and closes its fds. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const m = this.memory;
    m.set(R.SHUTDOWN, 1);
    Atomics.notify(m.r, R.STEP);
    // The rescue kick: written directly, so it never counts as one of the protocol's kicks.
    eventfdWrite(this.eventfd, 1n);
    const joined = await Promise.race([
      Promise.all(this.#exits).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10000).unref()),
    ]);
    if (!joined) await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#beacon?.close();
    close(this.eventfd);
    if (this.deviceFd >= 0) close(this.deviceFd);
  }
}

/** Runs one replay to its outcome and cleans up. */
export async function runReplay(scenario: string, options?: ReplayOptions): Promise<ReplayOutcome> {
  const run = new ReplayRun(scenario, options);
  try {
    run.start();
    return await run.outcome();
  } finally {
    await run.shutdown();
  }
}
