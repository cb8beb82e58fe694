// Model-based tests of AioContext (issue 5): fast-check drives random sequences of
// operations against a real context (real eventfds and pipes, one thread, polled on its
// home thread) and against a small reference model of QEMU's aio_poll (5.2-8.0,
// qemu-aiocontext.md §1.3, §1.4, §3.5). After every operation the two must agree on what
// ran, in which order, what poll() returned, whether it slept and for how long, and on the
// visible state (notified, whether the context's eventfd is readable, the external-disable
// count, deleted bottom halves, pending timers). A failing sequence shrinks to a minimal one.
//
// What the model says about one poll(blocking):
//   timeout   = 0 if a non-idle bottom half is scheduled or a timer has expired, else the
//               nearer of 10 ms (an idle bottom half is scheduled) and the first deadline
//               (at most 2^53-1 ns), else -1; and 0 if notified. It sleeps (stats.sleeps,
//               stats.timeoutNs) iff that is not 0.
//   ppoll     sees the handlers of the moment (external ones left out while disabled) and
//               which of their fds are readable/writable; then notified is cleared.
//   round     1. the bottom halves enqueued before the round, in the order they were
//                  enqueued (QEMU runs the newest enqueued first and promises nothing; this
//                  library promises FIFO: a bottom half scheduled again while still enqueued
//                  keeps its place): each one scheduled and not deleted runs; deleted and
//                  one-shot ones are freed. One that a callback schedules runs in this round
//                  only if it is still waiting in it, else in the next poll (so a
//                  self-rescheduling one runs once a poll).
//             2. the handlers ppoll found ready, in registration order (a replaced handler
//                keeps its place): read, then write; each skipped if its node was removed or
//                replaced meanwhile, or if it is external and external clients are disabled
//                now (checked before each callback, as QEMU's aio_dispatch_handler does).
//             3. expired timers, soonest first (FIFO among equal deadlines), including those
//                that callbacks of this round armed in the past.
//   progress  = a non-idle bottom half, any handler callback or any timer ran. A notify,
//               an idle bottom half, a cancelled or deleted one, or the context's own
//               eventfd are not progress.
// Notifying: notify(); set/remove of a handler (any call); schedule, scheduleIdle, delete
// (not cancel) of a bottom half; bhScheduleOneshot; arming a timer that becomes the first;
// the enableExternal() that brings the count to 0. enableExternal() at 0 throws
// ERR_INVALID_STATE and changes nothing.
//
// Operations: bhNew, schedule / scheduleIdle / BhRef.schedule, cancel, delete,
// bhScheduleOneshot, timerNew, mod, del, setFdHandler / setEventNotifier (read and/or write,
// external or not, on either end of two pipes or on two EventNotifiers), removal, making an
// fd ready (a byte in the pipe, EventNotifier.set) or draining it, notify (also through
// ctx.ref()), notifyAccept, a "kick" (a write to the context's own eventfd, the eventfd half
// of a cross-thread notify), disable/enableExternal (also through ctx.ref()), poll.
// Callbacks carry effects (schedule/cancel/delete a bottom half, a one-shot, arm/disarm a
// timer, make an fd ready or drain it, remove or replace a handler, notify, disable/enable
// external), each with a budget of 1-3 runs so that nothing loops forever. Deadlines are
// in the past (0-2 ns) or far away (hours to 2^63-1 ns), so nothing depends on timing. A
// blocking poll runs only when the model says it cannot sleep (something is due, notified,
// or a polled fd or the context's eventfd is ready); otherwise it runs as poll(false). If
// the model is wrong about that, a watchdog thread kicks the sleeping context and the test
// fails instead of hanging.
//
// AIO_MODEL_RUNS=n runs n sequences (default 1000; 300 under qemu-user), AIO_MODEL_SEED=s
// replays a seed. A failure reports the shrunk sequence and a trace that ends at the first
// operation where the context and the model disagree (fast-check may leave an irrelevant
// operation after it in the printed counterexample).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { AioContext, Bh, EventNotifier, sys, Timer } from '../../lib';
import { W } from '../../lib/aio/shared-state';
import { HangGuard, openFds, SLOW } from '../support';

// ---------------------------------------------------------------------------------------
// Operations (plain data: fast-check prints and shrinks them)

/** fd targets: the read and write ends of two pipes, and two EventNotifiers. */
const TARGETS = ['p0r', 'p0w', 'p1r', 'p1w', 'e0', 'e1'] as const;
/** The readiness source (0-1 pipes, 2-3 notifiers) of each target. */
const TARGET_SLOT = [0, 0, 1, 1, 2, 3];
const SLOTS = 4;

type WhenKind = 'past' | 'far' | 'huge';
interface When {
  kind: WhenKind;
  k: number;
}
const FAR = 10n ** 13n; // 2.8 hours
const HUGE = 10n ** 17n; // 3.2 years: more than Number.MAX_SAFE_INTEGER ns
const MAX_I64 = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function deadlineOf(w: When, base: bigint): bigint {
  switch (w.kind) {
    case 'past':
      return BigInt(w.k);
    case 'far':
      return base + FAR + BigInt(w.k);
    case 'huge':
      return w.k === 0 ? base + HUGE : MAX_I64;
  }
}

/**
 * Selectors are indices taken modulo the number of objects that exist when the effect
 * runs (nothing happens if there is none); -1 is the callback's own bottom half, timer,
 * fd (its readiness source) or handler.
 */
type Eff =
  | { k: 'sched'; bh: number; idle: boolean; n: number }
  | { k: 'cancel'; bh: number; n: number }
  | { k: 'delete'; bh: number; n: number }
  | { k: 'oneshot'; n: number }
  | { k: 'arm'; t: number; at: When; n: number }
  | { k: 'del'; t: number; n: number }
  | { k: 'ready'; slot: number; n: number }
  | { k: 'drain'; slot: number; n: number }
  | { k: 'unset'; target: number; n: number }
  | { k: 'replace'; target: number; n: number }
  | { k: 'notify'; n: number }
  | { k: 'disable'; n: number }
  | { k: 'enable'; n: number };

type Op =
  | { op: 'bhNew'; effects: Eff[] }
  | { op: 'sched'; bh: number; idle: boolean; viaRef: boolean }
  | { op: 'cancel'; bh: number }
  | { op: 'delete'; bh: number }
  | { op: 'oneshot'; effects: Eff[] }
  | { op: 'timerNew'; effects: Eff[] }
  | { op: 'arm'; t: number; at: When }
  | { op: 'del'; t: number }
  | { op: 'set'; target: number; read: Eff[] | null; write: Eff[] | null; external: boolean; viaNotifier: boolean }
  | { op: 'unset'; target: number; viaNotifier: boolean }
  | { op: 'ready'; slot: number }
  | { op: 'drain'; slot: number }
  | { op: 'notify'; viaRef: boolean }
  | { op: 'notifyAccept' }
  | { op: 'kick' }
  | { op: 'disable'; viaRef: boolean }
  | { op: 'enable'; viaRef: boolean }
  | { op: 'poll'; blocking: boolean };

type OwnerKind = 'bh' | 'oneshot' | 'timer' | 'handler';

// ---------------------------------------------------------------------------------------
// Generators

const whenArb: fc.Arbitrary<When> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant<WhenKind>('past'), k: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<WhenKind>('far'), k: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<WhenKind>('huge'), k: fc.nat(1) }) },
);

/** An index, or -1 (self) when `self` is allowed. */
const sel = (self: boolean, max: number): fc.Arbitrary<number> =>
  self ? fc.oneof({ weight: 1, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.nat(max) }) : fc.nat(max);

function effectArb(owner: OwnerKind): fc.Arbitrary<Eff> {
  const n = fc.integer({ min: 1, max: 3 });
  const bh = sel(owner === 'bh', 5);
  const t = sel(owner === 'timer', 3);
  const slot = sel(owner === 'handler', SLOTS - 1);
  const target = sel(owner === 'handler', TARGETS.length - 1);
  const e = <K extends Eff['k']>(k: K) => fc.constant(k);
  const arbs: Array<fc.WeightedArbitrary<Eff>> = [
    { weight: 5, arbitrary: fc.record({ k: e('sched'), bh, idle: fc.boolean(), n }) },
    { weight: 2, arbitrary: fc.record({ k: e('cancel'), bh, n }) },
    { weight: 2, arbitrary: fc.record({ k: e('delete'), bh, n }) },
    { weight: 2, arbitrary: fc.record({ k: e('arm'), t, at: whenArb, n }) },
    { weight: 1, arbitrary: fc.record({ k: e('del'), t, n }) },
    { weight: 2, arbitrary: fc.record({ k: e('ready'), slot, n }) },
    { weight: owner === 'handler' ? 5 : 2, arbitrary: fc.record({ k: e('drain'), slot, n }) },
    { weight: 1, arbitrary: fc.record({ k: e('unset'), target, n }) },
    { weight: 1, arbitrary: fc.record({ k: e('replace'), target, n }) },
    { weight: 1, arbitrary: fc.record({ k: e('notify'), n }) },
    { weight: 1, arbitrary: fc.record({ k: e('disable'), n }) },
    { weight: 1, arbitrary: fc.record({ k: e('enable'), n }) },
  ];
  if (owner !== 'oneshot') arbs.push({ weight: 1, arbitrary: fc.record({ k: e('oneshot'), n }) });
  return fc.oneof(...arbs);
}

const effectsArb = (owner: OwnerKind): fc.Arbitrary<Eff[]> => fc.array(effectArb(owner), { maxLength: 3 });

const opArb: fc.Arbitrary<Op> = (() => {
  const o = <K extends Op['op']>(k: K) => fc.constant(k);
  const bh = fc.nat(5);
  const t = fc.nat(3);
  const target = fc.nat(TARGETS.length - 1);
  const slot = fc.nat(SLOTS - 1);
  const handlerEffects = fc.option(effectsArb('handler'), { freq: 4 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: o('bhNew'), effects: effectsArb('bh') }) },
    { weight: 6, arbitrary: fc.record({ op: o('sched'), bh, idle: fc.boolean(), viaRef: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ op: o('cancel'), bh }) },
    { weight: 2, arbitrary: fc.record({ op: o('delete'), bh }) },
    { weight: 2, arbitrary: fc.record({ op: o('oneshot'), effects: effectsArb('oneshot') }) },
    { weight: 2, arbitrary: fc.record({ op: o('timerNew'), effects: effectsArb('timer') }) },
    { weight: 3, arbitrary: fc.record({ op: o('arm'), t, at: whenArb }) },
    { weight: 1, arbitrary: fc.record({ op: o('del'), t }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: o('set'),
        target,
        read: handlerEffects,
        write: fc.option(effectsArb('handler'), { freq: 3, nil: null }),
        external: fc.boolean(),
        viaNotifier: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: o('unset'), target, viaNotifier: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ op: o('ready'), slot }) },
    { weight: 2, arbitrary: fc.record({ op: o('drain'), slot }) },
    { weight: 2, arbitrary: fc.record({ op: o('notify'), viaRef: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: o('notifyAccept') }) },
    { weight: 1, arbitrary: fc.record({ op: o('kick') }) },
    { weight: 2, arbitrary: fc.record({ op: o('disable'), viaRef: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ op: o('enable'), viaRef: fc.boolean() }) },
    { weight: 14, arbitrary: fc.record({ op: o('poll'), blocking: fc.boolean() }) },
  );
})();

const opsArb = fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' });
/** sigioKick on in one sequence out of 8: the relay pipe shifts the poll set by one. */
const sigioArb = fc.integer({ min: 0, max: 7 }).map((x) => x === 7);

// ---------------------------------------------------------------------------------------
// Observations: what the model predicts and the real context shows

interface Obs {
  /** 'ok' or '!CODE' when the operation threw. */
  result: string;
  /** Callbacks run (and codes thrown inside them), in order. */
  log: string[];
  progress?: boolean;
  sleeps?: number;
  bhRuns?: number;
  handlerRuns?: number;
  timerRuns?: number;
}

/** What stats.timeoutNs must be after a poll that slept. */
type TimeoutExp = { kind: 'inf' } | { kind: 'idle' } | { kind: 'timer'; deadline: bigint };

interface Snapshot {
  notified: boolean;
  /** The context's own eventfd is readable (a kick not yet cleared by a poll). */
  kicked: boolean;
  externalDisableCnt: number;
  bhDeleted: boolean[];
  timerPending: boolean[];
}

/** Runs a callback's effects, each while its budget lasts; per-run state, not generated data. */
class Cb {
  readonly budgets: number[];
  constructor(readonly effects: readonly Eff[]) {
    this.budgets = effects.map((e) => e.n);
  }
  *due(): Generator<Eff> {
    for (let i = 0; i < this.effects.length; i++) {
      if (this.budgets[i] === 0) continue;
      this.budgets[i]--;
      yield this.effects[i];
    }
  }
}

interface Self {
  bh?: number;
  timer?: number;
  target?: number;
}

function pick(index: number, count: number, self: number | undefined): number | undefined {
  if (index === -1) return self;
  return count === 0 ? undefined : index % count;
}

const CLOSED = '!ERR_AIO_CLOSED';
const INVALID_STATE = '!ERR_INVALID_STATE';

/** How often the interesting cases came up (reported by the test, to show coverage). */
const seen = {
  sleeps: 0,
  asNonBlocking: 0,
  progressFalse: 0,
  idleOnly: 0,
  bhInRound: 0,
  timersInRound: 0,
  externalSkipped: 0,
  removedSkipped: 0,
  thrown: 0,
};

// ---------------------------------------------------------------------------------------
// The reference model

class MBh {
  pending = false;
  scheduled = false;
  idle = false;
  deleted = false;
  constructor(
    readonly name: string,
    readonly handle: number | undefined,
    readonly cb: Cb,
    readonly oneshot: boolean,
  ) {}
}

class MTimer {
  deadline: bigint | null = null;
  constructor(
    readonly index: number,
    readonly cb: Cb,
  ) {}
}

class MNode {
  deleted = false;
  constructor(
    readonly serial: number,
    readonly target: number,
    readonly read: Cb | null,
    readonly write: Cb | null,
    readonly external: boolean,
  ) {}
}

interface Ready {
  node: MNode;
  r: boolean;
  w: boolean;
}

class Model {
  notified = false;
  kicked = false;
  ext = 0;
  /** Live bottom halves in creation order (one-shots too); freed ones leave. */
  bhs: MBh[] = [];
  /** Bottom halves enqueued since the last round, in the order they were enqueued. */
  enqueued: MBh[] = [];
  /** Bottom halves made by bhNew, by handle. */
  handles: MBh[] = [];
  oneshots = 0;
  timers: MTimer[] = [];
  /** Armed timers, soonest first. */
  active: MTimer[] = [];
  nodes = new Map<number, MNode>();
  serial = 0;
  pipeBytes = [0, 0];
  evCount = [0, 0];
  log: string[] = [];
  counts = { bh: 0, handler: 0, timer: 0 };

  constructor(readonly base: bigint) {}

  // --- readiness
  readable(target: number): boolean {
    const slot = TARGET_SLOT[target];
    if (slot < 2) return TARGETS[target].endsWith('r') && this.pipeBytes[slot] > 0;
    return this.evCount[slot - 2] > 0;
  }

  writable(target: number): boolean {
    return !TARGETS[target].endsWith('r'); // a pipe's write end (never full here) or an eventfd
  }

  /** What ppoll finds: polled handlers (registration order) with their ready directions. */
  readyList(): Ready[] {
    const out: Ready[] = [];
    for (const node of this.nodes.values()) {
      if (node.external && this.ext > 0) continue;
      const r = node.read !== null && this.readable(node.target);
      const w = node.write !== null && this.writable(node.target);
      if (r || w) out.push({ node, r, w });
    }
    return out;
  }

  // --- aio_compute_timeout
  timeout(): { zero: true } | { zero: false; exp: TimeoutExp } {
    let idle = false;
    for (const bh of this.bhs) {
      if (!bh.pending || !bh.scheduled || bh.deleted) continue;
      if (!bh.idle) return { zero: true };
      idle = true;
    }
    const first = this.active[0];
    if (first && first.deadline! < this.base) return { zero: true };
    // Every armed deadline is hours away: an idle bottom half's 10 ms is always nearer.
    if (idle) return { zero: false, exp: { kind: 'idle' } };
    if (first) return { zero: false, exp: { kind: 'timer', deadline: first.deadline! } };
    return { zero: false, exp: { kind: 'inf' } };
  }

  /** poll(true) would sleep with no fd ready: the runner makes it poll(false). */
  wouldBlock(): boolean {
    const t = this.timeout();
    return !t.zero && !this.notified && !this.kicked && this.readyList().length === 0;
  }

  notify(): void {
    this.notified = true;
  }

  // --- bottom halves
  enqueue(bh: MBh, scheduled: boolean, idle: boolean, deleted: boolean): void {
    if (!bh.pending) this.enqueued.push(bh);
    bh.pending = true;
    if (scheduled) bh.scheduled = true;
    if (idle) bh.idle = true;
    if (deleted) bh.deleted = true;
    this.notify();
  }

  bhNew(effects: Eff[]): void {
    const bh = new MBh(`b${this.handles.length}`, this.handles.length, new Cb(effects), false);
    this.handles.push(bh);
    this.bhs.push(bh);
  }

  oneshot(effects: Eff[]): void {
    const bh = new MBh(`o${this.oneshots++}`, undefined, new Cb(effects), true);
    this.bhs.push(bh);
    this.enqueue(bh, true, false, false);
  }

  /** Returns the code thrown, if any. */
  sched(h: number, idle: boolean): string | undefined {
    const bh = this.handles[h];
    if (bh.deleted) return CLOSED;
    this.enqueue(bh, true, idle, false);
    return undefined;
  }

  cancel(h: number): void {
    const bh = this.handles[h];
    if (!bh.deleted) bh.scheduled = false; // a deleted one never runs anyway
  }

  delete(h: number): void {
    const bh = this.handles[h];
    if (!bh.deleted) this.enqueue(bh, false, false, true);
  }

  // --- timers
  arm(i: number, at: When): void {
    const t = this.timers[i];
    this.del(i);
    const d = deadlineOf(at, this.base);
    t.deadline = d;
    let pos = this.active.length;
    while (pos > 0 && this.active[pos - 1].deadline! > d) pos--;
    this.active.splice(pos, 0, t);
    if (pos === 0) this.notify();
  }

  del(i: number): void {
    const t = this.timers[i];
    if (t.deadline === null) return;
    t.deadline = null;
    this.active.splice(this.active.indexOf(t), 1);
  }

  // --- handlers and fds
  set(target: number, read: Cb | null, write: Cb | null, external: boolean): void {
    const node = read || write ? new MNode(this.serial++, target, read, write, external) : null;
    const old = this.nodes.get(target);
    if (old) old.deleted = true;
    if (node) this.nodes.set(target, node);
    else this.nodes.delete(target);
    this.notify();
  }

  ready(slot: number): void {
    if (slot < 2) this.pipeBytes[slot]++;
    else this.evCount[slot - 2]++;
  }

  drain(slot: number): void {
    if (slot < 2) this.pipeBytes[slot] = 0;
    else this.evCount[slot - 2] = 0;
  }

  enable(): string | undefined {
    if (this.ext === 0) return INVALID_STATE;
    if (--this.ext === 0) this.notify();
    return undefined;
  }

  // --- effects run by callbacks
  run(cb: Cb, self: Self): void {
    for (const e of cb.due()) {
      const code = this.effect(e, self);
      if (code) this.log.push(code);
    }
  }

  effect(e: Eff, self: Self): string | undefined {
    switch (e.k) {
      case 'sched': {
        const h = pick(e.bh, this.handles.length, self.bh);
        return h === undefined ? undefined : this.sched(h, e.idle);
      }
      case 'cancel': {
        const h = pick(e.bh, this.handles.length, self.bh);
        if (h !== undefined) this.cancel(h);
        return undefined;
      }
      case 'delete': {
        const h = pick(e.bh, this.handles.length, self.bh);
        if (h !== undefined) this.delete(h);
        return undefined;
      }
      case 'oneshot':
        this.oneshot([]);
        return undefined;
      case 'arm': {
        const i = pick(e.t, this.timers.length, self.timer);
        if (i !== undefined) this.arm(i, e.at);
        return undefined;
      }
      case 'del': {
        const i = pick(e.t, this.timers.length, self.timer);
        if (i !== undefined) this.del(i);
        return undefined;
      }
      case 'ready':
      case 'drain': {
        const slot = e.slot === -1 ? TARGET_SLOT[self.target!] : e.slot;
        if (e.k === 'ready') this.ready(slot);
        else this.drain(slot);
        return undefined;
      }
      case 'unset': {
        this.set(e.target === -1 ? self.target! : e.target, null, null, false);
        return undefined;
      }
      case 'replace': {
        const old = this.nodes.get(e.target === -1 ? self.target! : e.target);
        if (old) {
          this.set(old.target, old.read && new Cb([]), old.write && new Cb([]), old.external);
        }
        return undefined;
      }
      case 'notify':
        this.notify();
        return undefined;
      case 'disable':
        this.ext++;
        return undefined;
      case 'enable':
        return this.enable();
    }
  }

  // --- aio_poll
  poll(blocking: boolean): { obs: Obs; timeout: TimeoutExp | null } {
    const t = blocking ? this.timeout() : ({ zero: true } as const);
    const sleeps = !t.zero && !this.notified;
    const ready = this.readyList();
    this.notified = false; // aio_notify_accept
    this.kicked = false; // the context's eventfd is always polled and cleared, never progress
    this.log = [];
    const counts = { bh: 0, handler: 0, timer: 0 };
    let progress = false;

    // aio_bh_poll: the bottom halves enqueued before the round, in the order they were enqueued.
    const slice = this.enqueued.splice(0);
    const scheduledBefore = new Set(slice.filter((b) => b.scheduled));
    for (const bh of slice) {
      if (!bh.pending) continue;
      const { scheduled, idle, deleted } = bh;
      if (scheduled && !deleted && !scheduledBefore.has(bh)) seen.bhInRound++;
      bh.pending = bh.scheduled = bh.idle = false;
      if (deleted || bh.oneshot) this.bhs.splice(this.bhs.indexOf(bh), 1);
      if (scheduled && !deleted) {
        if (!idle) progress = true;
        counts.bh++;
        this.log.push(bh.name);
        this.run(bh.cb, { bh: bh.handle });
      }
    }

    // aio_dispatch_ready_handlers
    const check = (node: MNode) => {
      if (node.deleted) seen.removedSkipped++;
      else if (node.external && this.ext > 0) seen.externalSkipped++;
      else return true;
      return false;
    };
    for (const { node, r, w } of ready) {
      if (r && node.read && check(node)) {
        progress = true;
        counts.handler++;
        this.log.push(`h${node.serial}.r`);
        this.run(node.read, { target: node.target });
      }
      if (w && node.write && check(node)) {
        progress = true;
        counts.handler++;
        this.log.push(`h${node.serial}.w`);
        this.run(node.write, { target: node.target });
      }
    }

    // timerlistgroup_run_timers
    const expiredBefore = new Set(this.active.filter((t) => t.deadline! < this.base));
    while (this.active.length > 0 && this.active[0].deadline! < this.base) {
      const timer = this.active.shift()!;
      if (!expiredBefore.delete(timer)) seen.timersInRound++;
      timer.deadline = null;
      progress = true;
      counts.timer++;
      this.log.push(`t${timer.index}`);
      this.run(timer.cb, { timer: timer.index });
    }

    return {
      obs: {
        result: 'ok',
        log: this.log,
        progress,
        sleeps: sleeps ? 1 : 0,
        bhRuns: counts.bh,
        handlerRuns: counts.handler,
        timerRuns: counts.timer,
      },
      timeout: sleeps && !t.zero ? t.exp : null,
    };
  }

  /** One operation; polls go through poll(). */
  apply(op: Op): Obs {
    this.log = [];
    const result = this.applyOp(op) ?? 'ok';
    return { result, log: this.log };
  }

  applyOp(op: Op): string | undefined {
    switch (op.op) {
      case 'bhNew':
        this.bhNew(op.effects);
        return undefined;
      case 'sched':
      case 'cancel':
      case 'delete': {
        const h = pick(op.bh, this.handles.length, undefined);
        if (h === undefined) return undefined;
        if (op.op === 'sched') return this.sched(h, op.idle && !op.viaRef);
        if (op.op === 'cancel') this.cancel(h);
        else this.delete(h);
        return undefined;
      }
      case 'oneshot':
        this.oneshot(op.effects);
        return undefined;
      case 'timerNew':
        this.timers.push(new MTimer(this.timers.length, new Cb(op.effects)));
        return undefined;
      case 'arm':
      case 'del': {
        const i = pick(op.t, this.timers.length, undefined);
        if (i === undefined) return undefined;
        if (op.op === 'arm') this.arm(i, op.at);
        else this.del(i);
        return undefined;
      }
      case 'set':
        this.set(op.target, op.read && new Cb(op.read), op.write && new Cb(op.write), op.external);
        return undefined;
      case 'unset':
        this.set(op.target, null, null, false);
        return undefined;
      case 'ready':
        this.ready(op.slot);
        return undefined;
      case 'drain':
        this.drain(op.slot);
        return undefined;
      case 'notify':
        this.notify();
        return undefined;
      case 'notifyAccept':
        this.notified = false;
        return undefined;
      case 'kick':
        this.kicked = true;
        return undefined;
      case 'disable':
        this.ext++;
        return undefined;
      case 'enable':
        return this.enable();
      case 'poll':
        throw new Error('poll goes through Model.poll()');
    }
  }

  snapshot(): Snapshot {
    return {
      notified: this.notified,
      kicked: this.kicked,
      externalDisableCnt: this.ext,
      bhDeleted: this.handles.map((b) => b.deleted),
      timerPending: this.timers.map((t) => t.deadline !== null),
    };
  }
}

// ---------------------------------------------------------------------------------------
// The real context and its fds

class Real {
  readonly ctx: AioContext;
  readonly pipes: Array<[number, number]> = [];
  readonly evs: EventNotifier[] = [];
  readonly bhs: Bh[] = [];
  readonly timers: Timer[] = [];
  readonly nodes = new Map<number, { serial: number; read: boolean; write: boolean; external: boolean }>();
  serial = 0;
  oneshots = 0;
  log: string[] = [];
  readonly #buf = Buffer.alloc(4096);
  /** The context's own eventfd, and a poll set to test it without reading it. */
  readonly eventfd: number;
  readonly #probe = new sys.PollFdArray(1);

  constructor(
    readonly base: bigint,
    sigio: boolean,
  ) {
    this.ctx = new AioContext({ sigioKick: sigio, name: 'model' });
    this.eventfd = new Int32Array(this.ctx.ref().sab)[W.EVENTFD];
    this.#probe.push(this.eventfd, sys.POLLIN);
    try {
      for (let i = 0; i < 2; i++) this.pipes.push(sys.pipe2());
      for (let i = 0; i < 2; i++) this.evs.push(new EventNotifier());
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    this.ctx.close();
    for (const e of this.evs) e.close();
    for (const [r, w] of this.pipes) {
      sys.close(r);
      sys.close(w);
    }
    this.pipes.length = 0;
  }

  fd(target: number): number {
    const slot = TARGET_SLOT[target];
    if (slot >= 2) return this.evs[slot - 2].fd;
    return this.pipes[slot][TARGETS[target].endsWith('r') ? 0 : 1];
  }

  run(cb: Cb, self: Self): void {
    for (const e of cb.due()) {
      try {
        this.effect(e, self);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string') throw err;
        this.log.push(`!${code}`);
      }
    }
  }

  bhCallback(name: string, handle: number | undefined, cb: Cb): () => void {
    return () => {
      this.log.push(name);
      this.run(cb, { bh: handle });
    };
  }

  set(target: number, read: Cb | null, write: Cb | null, external: boolean, viaNotifier: boolean): void {
    if (!read && !write) {
      this.nodes.delete(target);
      const slot = TARGET_SLOT[target];
      if (viaNotifier && slot >= 2) this.ctx.setEventNotifier(this.evs[slot - 2], null);
      else this.ctx.setFdHandler(this.fd(target), null);
      return;
    }
    const serial = this.serial++;
    const fd = this.fd(target);
    const self = { target };
    const wrap = (cb: Cb, dir: string) => (gotFd: number) => {
      this.log.push(gotFd === fd ? `h${serial}.${dir}` : `h${serial}.${dir}!fd${gotFd}`);
      this.run(cb, self);
    };
    const slot = TARGET_SLOT[target];
    if (viaNotifier && slot >= 2 && read && !write) {
      const ev = this.evs[slot - 2];
      this.ctx.setEventNotifier(
        ev,
        (n) => {
          this.log.push(n === ev ? `h${serial}.r` : `h${serial}.r!notifier`);
          this.run(read, self);
        },
        { external },
      );
    } else {
      this.ctx.setFdHandler(fd, {
        read: read && wrap(read, 'r'),
        write: write && wrap(write, 'w'),
        external,
      });
    }
    this.nodes.set(target, { serial, read: !!read, write: !!write, external });
  }

  ready(slot: number): void {
    if (slot >= 2) this.evs[slot - 2].set();
    else assert.equal(sys.write(this.pipes[slot][1], this.#buf.subarray(0, 1)), 1);
  }

  drain(slot: number): void {
    if (slot >= 2) this.evs[slot - 2].testAndClear();
    else while ((sys.read(this.pipes[slot][0], this.#buf) ?? 0) > 0);
  }

  effect(e: Eff, self: Self): void {
    switch (e.k) {
      case 'sched': {
        const h = pick(e.bh, this.bhs.length, self.bh);
        if (h === undefined) return;
        if (e.idle) this.bhs[h].scheduleIdle();
        else this.bhs[h].schedule();
        return;
      }
      case 'cancel': {
        const h = pick(e.bh, this.bhs.length, self.bh);
        if (h !== undefined) this.bhs[h].cancel();
        return;
      }
      case 'delete': {
        const h = pick(e.bh, this.bhs.length, self.bh);
        if (h !== undefined) this.bhs[h].delete();
        return;
      }
      case 'oneshot':
        this.ctx.bhScheduleOneshot(this.bhCallback(`o${this.oneshots++}`, undefined, new Cb([])));
        return;
      case 'arm': {
        const i = pick(e.t, this.timers.length, self.timer);
        if (i !== undefined) this.timers[i].mod(deadlineOf(e.at, this.base));
        return;
      }
      case 'del': {
        const i = pick(e.t, this.timers.length, self.timer);
        if (i !== undefined) this.timers[i].del();
        return;
      }
      case 'ready':
      case 'drain': {
        const slot = e.slot === -1 ? TARGET_SLOT[self.target!] : e.slot;
        if (e.k === 'ready') this.ready(slot);
        else this.drain(slot);
        return;
      }
      case 'unset':
        this.set(e.target === -1 ? self.target! : e.target, null, null, false, false);
        return;
      case 'replace': {
        const target = e.target === -1 ? self.target! : e.target;
        const old = this.nodes.get(target);
        if (old) {
          this.set(target, old.read ? new Cb([]) : null, old.write ? new Cb([]) : null, old.external, false);
        }
        return;
      }
      case 'notify':
        this.ctx.notify();
        return;
      case 'disable':
        this.ctx.disableExternal();
        return;
      case 'enable':
        this.ctx.enableExternal();
        return;
    }
  }

  poll(blocking: boolean): { obs: Obs; timeoutNs: bigint } {
    const s0 = this.ctx.stats;
    this.log = [];
    const progress = this.ctx.poll(blocking);
    const s1 = this.ctx.stats;
    return {
      obs: {
        result: 'ok',
        log: this.log,
        progress,
        sleeps: s1.sleeps - s0.sleeps,
        bhRuns: s1.bhRuns - s0.bhRuns,
        handlerRuns: s1.handlerRuns - s0.handlerRuns,
        timerRuns: s1.timerRuns - s0.timerRuns,
      },
      timeoutNs: s1.timeoutNs,
    };
  }

  apply(op: Op): Obs {
    this.log = [];
    let result = 'ok';
    try {
      this.applyOp(op);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') throw err;
      result = `!${code}`;
    }
    return { result, log: this.log };
  }

  applyOp(op: Op): void {
    const ctx = this.ctx;
    switch (op.op) {
      case 'bhNew': {
        const h = this.bhs.length;
        this.bhs.push(ctx.bhNew(this.bhCallback(`b${h}`, h, new Cb(op.effects))));
        return;
      }
      case 'sched':
      case 'cancel':
      case 'delete': {
        const h = pick(op.bh, this.bhs.length, undefined);
        if (h === undefined) return;
        const bh = this.bhs[h];
        if (op.op === 'cancel') bh.cancel();
        else if (op.op === 'delete') bh.delete();
        else if (op.viaRef) bh.ref().schedule();
        else if (op.idle) bh.scheduleIdle();
        else bh.schedule();
        return;
      }
      case 'oneshot':
        ctx.bhScheduleOneshot(this.bhCallback(`o${this.oneshots++}`, undefined, new Cb(op.effects)));
        return;
      case 'timerNew': {
        const i = this.timers.length;
        const cb = new Cb(op.effects);
        this.timers.push(
          ctx.timerNew(() => {
            this.log.push(`t${i}`);
            this.run(cb, { timer: i });
          }),
        );
        return;
      }
      case 'arm':
      case 'del': {
        const i = pick(op.t, this.timers.length, undefined);
        if (i === undefined) return;
        if (op.op === 'arm') this.timers[i].mod(deadlineOf(op.at, this.base));
        else this.timers[i].del();
        return;
      }
      case 'set':
        this.set(op.target, op.read && new Cb(op.read), op.write && new Cb(op.write), op.external, op.viaNotifier);
        return;
      case 'unset':
        this.set(op.target, null, null, false, op.viaNotifier);
        return;
      case 'ready':
        this.ready(op.slot);
        return;
      case 'drain':
        this.drain(op.slot);
        return;
      case 'notify':
        if (op.viaRef) ctx.ref().notify();
        else ctx.notify();
        return;
      case 'notifyAccept':
        ctx.notifyAccept();
        return;
      case 'kick':
        // What notify() from another thread does to a sleeping context, without the
        // NOTIFIED it sets first: here only the eventfd side is exercised.
        sys.eventfdWrite(this.eventfd, 1n);
        return;
      case 'disable':
        if (op.viaRef) ctx.ref().disableExternal();
        else ctx.disableExternal();
        return;
      case 'enable':
        if (op.viaRef) ctx.ref().enableExternal();
        else ctx.enableExternal();
        return;
      case 'poll':
        throw new Error('poll goes through Real.poll()');
    }
  }

  snapshot(): Snapshot {
    const s = this.ctx.stats;
    assert.equal(this.ctx.externalDisabled, s.externalDisableCnt > 0);
    assert.equal(sys.ppoll(this.#probe, 0) >= 0, true);
    return {
      notified: s.notified,
      kicked: (this.#probe.revents(0) & sys.POLLIN) !== 0,
      externalDisableCnt: s.externalDisableCnt,
      bhDeleted: this.bhs.map((b) => b.deleted),
      timerPending: this.timers.map((t) => t.pending),
    };
  }
}

// ---------------------------------------------------------------------------------------
// The hang guard: a thread that rescues a context asleep for too long (the model said that
// poll could not sleep) with a direct eventfd write, outside the protocol under test, so a
// wrong prediction or a lost wake-up fails the test with the watchdog's report instead of
// hanging it.

const HANG_MS = SLOW ? 20_000 : 3_000;

// ---------------------------------------------------------------------------------------
// One sequence

function describe(i: number, op: Op, note = ''): string {
  return `#${i} ${JSON.stringify(op)}${note}`;
}

function runSequence(ops: Op[], sigio: boolean, guard: HangGuard): void {
  const fdsBefore = openFds();
  const base = process.hrtime.bigint();
  const model = new Model(base);
  const real = new Real(base, sigio);
  const trace: string[] = [];
  const failure = (msg: string): Error =>
    new Error(`${msg}\n  sigioKick: ${sigio}\n  trace:\n    ${trace.join('\n    ')}`);
  try {
    guard.watch(real.ctx);
    for (let i = 0; i < ops.length; i++) {
      let op = ops[i];
      let note = '';
      if (op.op === 'poll' && op.blocking && model.wouldBlock()) {
        op = { op: 'poll', blocking: false };
        note = ' (as poll(false): it would sleep)';
      }
      trace.push(describe(i, op, note));
      let expected: Obs;
      let actual: Obs;
      if (op.op === 'poll') {
        const m = model.poll(op.blocking);
        let r: ReturnType<Real['poll']>;
        try {
          r = real.poll(op.blocking);
        } catch (err) {
          throw failure(`op ${describe(i, op)}: poll() threw ${(err as Error).stack}`);
        }
        try {
          guard.check('poll slept although the model said it could not');
        } catch (err) {
          throw failure(`op ${describe(i, op)}: ${(err as Error).message}`);
        }
        expected = m.obs;
        actual = r.obs;
        if (m.timeout) {
          const t = r.timeoutNs;
          const exp = m.timeout;
          let ok: boolean;
          let want: string;
          if (exp.kind === 'inf') [ok, want] = [t === -1n, '-1'];
          else if (exp.kind === 'idle') [ok, want] = [t === 10_000_000n, '10 ms'];
          else {
            let hi = exp.deadline - base;
            if (hi > MAX_SAFE) hi = MAX_SAFE;
            [ok, want] = [t <= hi && t > hi - 100_000_000_000n, `about ${hi} ns`];
          }
          if (!ok) throw failure(`op ${describe(i, op)}: slept with timeout ${t} ns, the model expected ${want}`);
        }
      } else {
        expected = model.apply(op);
        try {
          actual = real.apply(op);
        } catch (err) {
          throw failure(`op ${describe(i, op)}: threw ${(err as Error).stack}`);
        }
      }
      trace[trace.length - 1] += ` -> ${JSON.stringify(actual)}`;
      if (note) seen.asNonBlocking++;
      if (actual.sleeps) seen.sleeps++;
      if (actual.progress === false) seen.progressFalse++;
      if (actual.progress === false && actual.bhRuns) seen.idleOnly++;
      seen.thrown += actual.log.filter((l) => l.startsWith('!')).length + (actual.result === 'ok' ? 0 : 1);
      const differs = (what: string, want: unknown, got: unknown): Error =>
        failure(`${what} ${describe(i, op)}:\n  expected ${JSON.stringify(want)}\n  actual   ${JSON.stringify(got)}`);
      try {
        assert.deepStrictEqual(actual, expected);
      } catch {
        throw differs('op', expected, actual);
      }
      const ms = model.snapshot();
      const rs = real.snapshot();
      try {
        assert.deepStrictEqual(rs, ms);
      } catch {
        throw differs('state after op', ms, rs);
      }
    }
  } finally {
    real.close();
  }
  const fdsAfter = openFds();
  if (fdsAfter !== fdsBefore) {
    throw failure(`${fdsAfter - fdsBefore} fds leaked (${fdsBefore} before, ${fdsAfter} after)`);
  }
}

// ---------------------------------------------------------------------------------------

/**
 * Sequences fast-check runs first, every time: rare cases of the semantics worth pinning,
 * then the minimal sequences that once failed.
 */
const EXAMPLES: Array<[boolean, Op[]]> = [
  // b0 schedules b1, still waiting (cancelled) in the same round, and deletes b2: b1 runs in
  // this round, b2 never. b0 also reschedules itself twice: it runs once in each of 3 polls.
  [
    false,
    [
      {
        op: 'bhNew',
        effects: [
          { k: 'sched', bh: 1, idle: false, n: 1 },
          { k: 'delete', bh: 2, n: 1 },
          { k: 'sched', bh: -1, idle: false, n: 2 },
        ],
      },
      { op: 'bhNew', effects: [] },
      { op: 'bhNew', effects: [] },
      { op: 'sched', bh: 1, idle: false, viaRef: false },
      { op: 'cancel', bh: 1 },
      { op: 'sched', bh: 2, idle: false, viaRef: true },
      { op: 'sched', bh: 0, idle: false, viaRef: false },
      { op: 'poll', blocking: true },
      { op: 'poll', blocking: true },
      { op: 'poll', blocking: true },
      { op: 'poll', blocking: true },
    ],
  ],
  // A timer re-armed in the past by its own callback runs again in the same round. A bottom
  // half scheduled idle, cancelled, then scheduled is still idle: its run is not progress;
  // nor is a notify (here the one of a handler removing itself), nor a kick of the context's
  // eventfd (a sleep with timeout -1 that it ends). Enabling beyond the count throws.
  [
    true,
    [
      { op: 'timerNew', effects: [{ k: 'arm', t: -1, at: { kind: 'past', k: 1 }, n: 2 }] },
      { op: 'arm', t: 0, at: { kind: 'past', k: 2 } },
      { op: 'poll', blocking: true },
      { op: 'bhNew', effects: [] },
      { op: 'sched', bh: 0, idle: true, viaRef: false },
      { op: 'cancel', bh: 0 },
      { op: 'sched', bh: 0, idle: false, viaRef: false },
      { op: 'poll', blocking: true },
      {
        op: 'set',
        target: 1,
        read: null,
        write: [{ k: 'unset', target: -1, n: 1 }],
        external: false,
        viaNotifier: false,
      },
      { op: 'poll', blocking: false },
      { op: 'poll', blocking: true },
      { op: 'notify', viaRef: true },
      { op: 'poll', blocking: true },
      { op: 'kick' },
      { op: 'poll', blocking: true },
      { op: 'disable', viaRef: false },
      { op: 'enable', viaRef: true },
      { op: 'enable', viaRef: false },
      { op: 'poll', blocking: false },
    ],
  ],

  // A timer more than 2^53 ns (104 days) away made poll(true) throw ERR_OUT_OF_RANGE from ppoll.
  [
    false,
    [
      { op: 'set', target: 1, read: null, write: [], external: false, viaNotifier: false },
      { op: 'timerNew', effects: [] },
      { op: 'arm', t: 0, at: { kind: 'huge', k: 0 } },
      { op: 'poll', blocking: false },
      { op: 'poll', blocking: true },
    ],
  ],
  // cancel() of a deleted, freed bottom half cancelled the new owner of its slot.
  [
    false,
    [
      { op: 'bhNew', effects: [] },
      { op: 'delete', bh: 0 },
      { op: 'poll', blocking: false },
      { op: 'bhNew', effects: [] },
      { op: 'sched', bh: 1, idle: false, viaRef: false },
      { op: 'cancel', bh: 0 },
      { op: 'poll', blocking: false },
    ],
  ],
  // Freeing a bottom half moved the newest one into its place: b2 ran before b1.
  [
    false,
    [
      { op: 'bhNew', effects: [] },
      { op: 'bhNew', effects: [] },
      { op: 'bhNew', effects: [] },
      { op: 'delete', bh: 0 },
      { op: 'poll', blocking: false },
      { op: 'sched', bh: 1, idle: false, viaRef: false },
      { op: 'sched', bh: 2, idle: false, viaRef: false },
      { op: 'poll', blocking: false },
    ],
  ],
  // FIFO: b1 waits in the round behind b0 (enqueued, then cancelled); b0's callback schedules
  // it again, and it runs in the same round, at its place (the rare case `bhInRound`).
  [
    false,
    [
      { op: 'bhNew', effects: [{ k: 'sched', bh: 1, idle: false, n: 1 }] },
      { op: 'bhNew', effects: [] },
      { op: 'sched', bh: 0, idle: false, viaRef: false },
      { op: 'sched', bh: 1, idle: false, viaRef: true },
      { op: 'cancel', bh: 1 },
      { op: 'poll', blocking: false },
    ],
  ],
  // An external handler's read callback disabled external clients; its write callback still ran.
  [
    false,
    [
      { op: 'set', target: 4, read: [{ k: 'disable', n: 1 }], write: [], external: true, viaNotifier: false },
      { op: 'ready', slot: 2 },
      { op: 'poll', blocking: false },
    ],
  ],
];

/** Sequences enough to exercise every case of `seen` (the default run under qemu-user). */
const COVERAGE_RUNS = 300;

test('AioContext agrees with the model of aio_poll on random operation sequences', { timeout: 600_000 }, async (t) => {
  const numRuns = Number(process.env.AIO_MODEL_RUNS ?? (SLOW ? 300 : 1000));
  const seed = process.env.AIO_MODEL_SEED === undefined ? undefined : Number(process.env.AIO_MODEL_SEED);
  const guard = await HangGuard.start(HANG_MS);
  let sequences = 0;
  let ops = 0;
  let polls = 0;
  try {
    const fdsBefore = openFds();
    const start = process.hrtime.bigint();
    fc.assert(
      fc.property(sigioArb, opsArb, (sigio, seq) => {
        sequences++;
        ops += seq.length;
        polls += seq.filter((o) => o.op === 'poll').length;
        runSequence(seq, sigio, guard);
      }),
      { numRuns, seed, examples: EXAMPLES, includeErrorInReport: true },
    );
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    t.diagnostic(`${sequences} sequences, ${ops} operations (${polls} polls) in ${ms.toFixed(0)} ms`);
    t.diagnostic(`seen: ${JSON.stringify(seen)}`);
    assert.equal(openFds(), fdsBefore);
    // Coverage: a run of the default size (or more) must have exercised every case the
    // model distinguishes, or it passed without testing them. A smaller run says so.
    const rare = Object.entries(seen).filter(([, n]) => n === 0).map(([k]) => k);
    if (sequences >= COVERAGE_RUNS) assert.deepEqual(rare, [], `cases never exercised in ${sequences} sequences`);
    else if (rare.length > 0) t.skip(`coverage not asserted: ${sequences} sequences (< ${COVERAGE_RUNS}) left ${rare.join(', ')} unexercised`);
  } finally {
    await guard.stop();
  }
});
