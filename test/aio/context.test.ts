// AioContext on its home thread: the rules of QEMU's aio_poll, one test each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AioContext, EventNotifier, sys } from '../../lib';
import { W } from '../../lib/aio/shared-state';
import { HangGuard, SLOW } from '../support';

// These tests poll on their own thread: a poll(true) that should return at once but sleeps
// (a lost wake-up, a missed NOTIFIED) is rescued by the guard thread and fails the test.
let guard: HangGuard;
before(async () => {
  guard = await HangGuard.start(SLOW ? 20_000 : 5_000);
});
after(() => guard.stop());

function withCtx(fn: (ctx: AioContext) => void): () => void {
  return () => {
    const ctx = new AioContext({ sigioKick: false });
    guard.watch(ctx);
    try {
      fn(ctx);
    } finally {
      ctx.close();
      guard.check('a poll(true) of this test'); // the cause of any failure above, if it threw
    }
  };
}

test('a notify() alone is not progress, and is sticky until the next poll', withCtx((ctx) => {
  ctx.notify();
  assert.equal(ctx.stats.notified, true);
  assert.equal(ctx.poll(true), false); // returns at once: notified was set
  assert.equal(ctx.stats.notified, false);
  assert.equal(ctx.stats.sleeps, 0);
}));

test('notify() with nobody asleep issues no system call', withCtx((ctx) => {
  for (let i = 0; i < 1000; i++) ctx.notify();
  assert.equal(ctx.stats.notifies, 1000);
  assert.equal(ctx.stats.kicks, 0);
}));

test('dispatch order is bottom halves, then fd handlers, then timers', withCtx((ctx) => {
  const order: string[] = [];
  const e = new EventNotifier(true);
  ctx.setEventNotifier(e, (n) => {
    n.testAndClear();
    order.push('fd');
  });
  const t = ctx.timerNew(() => order.push('timer'));
  t.mod(0n);
  ctx.bhNew(() => order.push('bh')).schedule();
  assert.equal(ctx.poll(true), true);
  assert.deepEqual(order, ['bh', 'fd', 'timer']);
  ctx.setEventNotifier(e, null);
  e.close();
}));

test('a bottom half scheduled during a round runs in the next poll', withCtx((ctx) => {
  let runs = 0;
  const bh = ctx.bhNew(() => {
    runs++;
    if (runs < 3) bh.schedule();
  });
  bh.schedule();
  assert.equal(ctx.poll(false), true);
  assert.equal(runs, 1);
  assert.equal(ctx.poll(false), true);
  assert.equal(runs, 2);
  assert.equal(ctx.poll(true), true);
  assert.equal(runs, 3);
  assert.equal(ctx.poll(false), false);
}));

test('cancel() unschedules; delete() never runs again and notifies', withCtx((ctx) => {
  let runs = 0;
  const bh = ctx.bhNew(() => runs++);
  bh.schedule();
  bh.cancel();
  assert.equal(ctx.poll(false), false);
  assert.equal(runs, 0);
  bh.schedule();
  const before = ctx.stats.notifies;
  bh.delete();
  assert.equal(ctx.stats.notifies, before + 1);
  assert.equal(bh.deleted, true);
  assert.equal(ctx.poll(false), false);
  assert.equal(runs, 0);
  assert.throws(() => bh.schedule(), { code: 'ERR_AIO_CLOSED' });
  bh.delete(); // idempotent
}));

test('a stale BhRef cannot schedule the next owner of a freed slot', withCtx((ctx) => {
  const a = ctx.bhNew(() => assert.fail('deleted bottom half ran'));
  const ref = a.ref();
  a.delete();
  ctx.poll(false); // frees the slot
  let bRuns = 0;
  const b = ctx.bhNew(() => bRuns++); // reuses the slot
  assert.throws(() => ref.schedule(), { code: 'ERR_AIO_CLOSED' });
  assert.equal(ctx.poll(false), false);
  assert.equal(bRuns, 0);
  b.schedule();
  assert.equal(ctx.poll(false), true);
  assert.equal(bRuns, 1);
}));

test('bhScheduleOneshot runs once and frees itself', withCtx((ctx) => {
  let runs = 0;
  ctx.bhScheduleOneshot(() => runs++);
  assert.equal(ctx.poll(true), true);
  assert.equal(ctx.poll(false), false);
  assert.equal(runs, 1);
}));

test('an idle bottom half bounds the sleep to about 10 ms and is not progress', withCtx((ctx) => {
  let runs = 0;
  ctx.bhNew(() => runs++).scheduleIdle();
  ctx.notifyAccept(); // scheduling notified; consume it so that the poll may sleep
  assert.equal(ctx.poll(true), false);
  assert.equal(runs, 1);
  assert.equal(ctx.stats.timeoutNs, 10_000_000n);
}));

test('timers fire at their deadline; del() and pending', withCtx((ctx) => {
  let fired = 0;
  let firedAt = 0n;
  const t = ctx.timerNew(() => {
    fired++;
    firedAt = ctx.clockNs();
  });
  assert.equal(t.pending, false);
  const deadline = ctx.clockNs() + 20_000_000n;
  t.mod(deadline);
  assert.equal(t.pending, true);
  ctx.poll(false);
  assert.equal(fired, 0);
  while (fired === 0) ctx.poll(true);
  assert.ok(firedAt >= deadline, 'a timer never fires before its deadline');
  assert.equal(t.pending, false);
  t.mod(ctx.clockNs() + 10_000_000n);
  t.del();
  assert.equal(t.pending, false);
  ctx.poll(false);
  assert.equal(fired, 1);
  assert.throws(() => t.mod(-1n), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => t.mod(5 as unknown as bigint), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
}));

test('the poll timeout is the nearest timer deadline in nanoseconds', withCtx((ctx) => {
  const far = ctx.timerNew(() => {});
  far.mod(ctx.clockNs() + 3_000_000_123n);
  // A second timer nearer than the first sets the timeout, to the nanosecond. It is far
  // enough (1 s) that it has not expired when the poll starts, even on a loaded machine.
  const near = ctx.timerNew(() => {});
  near.mod(ctx.clockNs() + 1_000_000_007n);
  ctx.poll(false); // consumes the notifies of mod()
  ctx.poll(true);
  const timeout = ctx.stats.timeoutNs;
  assert.ok(timeout > 0n && timeout <= 1_000_000_007n, `timeout ${timeout}`);
  assert.notEqual(timeout % 1_000_000n, 0n); // not rounded to milliseconds
  far.del();
}));

test('fd handlers: read and write, replaced and removed', withCtx((ctx) => {
  const [r, w] = sys.pipe2();
  const seen: string[] = [];
  ctx.setFdHandler(w, { write: (fd) => seen.push(`w${fd === w}`) });
  assert.equal(ctx.poll(false), true);
  ctx.setFdHandler(w, null);
  ctx.setFdHandler(r, { read: () => seen.push('r1') });
  sys.write(w, Buffer.from('x'));
  ctx.poll(false);
  ctx.setFdHandler(r, { read: () => seen.push('r2') }); // replaced: the old one never runs again
  ctx.poll(false);
  ctx.setFdHandler(r, null);
  assert.equal(ctx.poll(false), false);
  assert.deepEqual(seen, ['wtrue', 'r1', 'r2']);
  sys.close(r);
  sys.close(w);
}));

test('changing a handler notifies, so a sleeping poll re-reads its set', withCtx((ctx) => {
  const before = ctx.stats.notifies;
  const e = new EventNotifier();
  ctx.setEventNotifier(e, () => {});
  ctx.setEventNotifier(e, null);
  assert.equal(ctx.stats.notifies, before + 2);
  e.close();
}));

test('a nested poll never runs a handler twice for one readiness, nor after removal', withCtx((ctx) => {
  const a = new EventNotifier(true);
  const b = new EventNotifier(true);
  let aRuns = 0;
  let bRuns = 0;
  ctx.setEventNotifier(a, () => {
    if (++aRuns > 1) return;
    // Removes b, then polls again from inside the callback.
    ctx.setEventNotifier(b, null);
    ctx.poll(false);
  });
  ctx.setEventNotifier(b, () => bRuns++);
  ctx.poll(false);
  // a stays readable (never cleared): the nested poll ran it again for the new readiness
  // it found, but b, removed before, never ran, and no readiness ran twice.
  assert.equal(bRuns, 0);
  assert.equal(aRuns, 2);
  ctx.setEventNotifier(a, null);
  a.close();
  b.close();
}));

test('a nested poll continues the outer round of bottom halves', withCtx((ctx) => {
  const ran: string[] = [];
  const first = ctx.bhNew(() => {
    ran.push('first');
    ctx.poll(false); // runs `second`, taken in the same round
    ran.push('first-end');
  });
  const second = ctx.bhNew(() => ran.push('second'));
  first.schedule();
  second.schedule();
  ctx.poll(false);
  assert.deepEqual(ran, ['first', 'second', 'first-end']);
}));

test('external handlers are neither polled nor dispatched while disabled', withCtx((ctx) => {
  const dev = new EventNotifier(true);
  let served = 0;
  ctx.setEventNotifier(dev, () => served++, { external: true });
  ctx.disableExternal();
  ctx.disableExternal();
  assert.equal(ctx.externalDisabled, true);
  assert.equal(ctx.poll(false), false);
  ctx.enableExternal();
  assert.equal(ctx.poll(false), false); // still disabled once
  assert.equal(served, 0);
  assert.equal(dev.testAndClear(), true); // still pending in the kernel
  dev.set();
  const notifies = ctx.stats.notifies;
  ctx.enableExternal(); // the last enable notifies
  assert.equal(ctx.stats.notifies, notifies + 1);
  assert.equal(ctx.poll(false), true);
  assert.equal(served, 1);
  ctx.setEventNotifier(dev, null);
  dev.close();
}));

test('enabling more often than disabling throws and changes nothing', withCtx((ctx) => {
  assert.throws(() => ctx.enableExternal(), { code: 'ERR_INVALID_STATE' });
  assert.equal(ctx.stats.externalDisableCnt, 0);
  ctx.disableExternal();
  ctx.enableExternal();
  assert.throws(() => ctx.enableExternal(), { code: 'ERR_INVALID_STATE' });
  assert.equal(ctx.stats.externalDisableCnt, 0);
}));

test('the context notifier is cleared by poll and never counts as progress', withCtx((ctx) => {
  const eventfd = new Int32Array(ctx.ref().sab)[W.EVENTFD];
  sys.eventfdWrite(eventfd, 1n); // as a kick would
  assert.equal(ctx.poll(false), false);
  assert.equal(sys.eventfdRead(eventfd), null);
}));

test('close(): later use throws ERR_AIO_CLOSED, refs too, and stats stay readable', () => {
  const ctx = new AioContext({ sigioKick: false });
  const ref = ctx.ref();
  const bh = ctx.bhNew(() => {});
  const bhRef = bh.ref();
  ctx.close();
  ctx.close();
  for (const f of [() => ctx.poll(false), () => ctx.notify(), () => ctx.bhNew(() => {}), () => ctx.ref()]) {
    assert.throws(f, { code: 'ERR_AIO_CLOSED' });
  }
  assert.throws(() => ref.notify(), { code: 'ERR_AIO_CLOSED' });
  assert.throws(() => bhRef.schedule(), { code: 'ERR_AIO_CLOSED' });
  assert.equal(ref.stats.closed, true);
});

test('bad input is rejected with Node-style errors', withCtx((ctx) => {
  assert.throws(() => ctx.poll('yes' as unknown as boolean), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => ctx.setFdHandler(-1, { read() {} }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => ctx.setFdHandler(0, { read: 5 as unknown as () => void }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => ctx.bhNew(null as unknown as () => void), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new AioContext({ sigioKick: 'x' as unknown as boolean }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new EventNotifier(1 as unknown as boolean), { code: 'ERR_INVALID_ARG_TYPE' });
}));

test('EventNotifier: set, testAndClear, close is idempotent', () => {
  const e = new EventNotifier();
  assert.equal(e.testAndClear(), false);
  e.set();
  e.set();
  assert.equal(e.testAndClear(), true);
  assert.equal(e.testAndClear(), false);
  const active = new EventNotifier(true);
  assert.equal(active.testAndClear(), true);
  e.close();
  e.close();
  active.close();
  assert.throws(() => e.set(), { code: 'ERR_AIO_CLOSED' });
});

test('a bottom half may close its context, even with the eventfd kicked in that round', () => {
  const ctx = new AioContext({ sigioKick: false });
  const eventfd = new Int32Array(ctx.ref().sab)[W.EVENTFD];
  let ran = false;
  ctx.bhNew(() => {
    ran = true;
    ctx.close();
  }).schedule();
  sys.eventfdWrite(eventfd, 1n); // as a kick would: the notifier is ready in this round
  assert.equal(ctx.poll(false), true);
  assert.equal(ran, true);
  assert.equal(ctx.closed, true);
});

// ---------------------------------------------------------------------------------------
// The store-buffering pairing the protocol's correctness rests on (notify.ts, context.ts):
// each side writes its own flag before it reads the other's. A race test needs two threads
// truly in parallel to see a reordering, which a loaded 2-core machine rarely gives; the
// order of the real code's shared-memory operations is checked here on their trace instead.

type AtomicOp = { op: string; index: number };
const ATOMIC_OPS = ['load', 'store', 'add', 'sub', 'and', 'or', 'xor', 'exchange', 'compareExchange'] as const;

/** The Atomics operations `fn` performs on the words of `sab`, in order. */
function traceAtomics(sab: SharedArrayBuffer, fn: () => void): AtomicOp[] {
  const trace: AtomicOp[] = [];
  const saved = ATOMIC_OPS.map((name) => [name, Atomics[name]] as const);
  const A = Atomics as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, real] of saved) {
    A[name] = (...args: unknown[]) => {
      const view = args[0];
      if (view instanceof Int32Array && view.buffer === sab && view.byteOffset === 0) {
        trace.push({ op: name, index: args[1] as number });
      }
      return (real as (...a: unknown[]) => unknown).apply(Atomics, args);
    };
  }
  try {
    fn();
  } finally {
    for (const [name, real] of saved) A[name] = real as never;
  }
  return trace;
}

const writes = (o: AtomicOp, word: number): boolean => o.index === word && o.op !== 'load';
const reads = (o: AtomicOp, word: number): boolean => o.index === word && o.op !== 'store';

test('poll() raises NOTIFY_ME before it reads NOTIFIED, and reads it before it sleeps', withCtx((ctx) => {
  ctx.notify(); // the poll must see it and not sleep (a trace of a sleep would need a second thread)
  const trace = traceAtomics(ctx.ref().sab, () => ctx.poll(true));
  const raise = trace.findIndex((o) => writes(o, W.NOTIFY_ME));
  const lower = trace.findIndex((o, i) => i > raise && writes(o, W.NOTIFY_ME));
  const text = trace.map((o) => `${o.op}(${o.index})`).join(' ');
  assert.ok(raise >= 0 && lower > raise, `NOTIFY_ME raised and lowered: ${text}`);
  const recheck = trace.findIndex((o, i) => i > raise && i < lower && reads(o, W.NOTIFIED));
  assert.ok(recheck > raise, `NOTIFIED read after NOTIFY_ME is raised and before the sleep: ${text}`);
  assert.equal(ctx.stats.sleeps, 0);
}));

test('notify() sets NOTIFIED before it reads NOTIFY_ME', withCtx((ctx) => {
  const trace = traceAtomics(ctx.ref().sab, () => ctx.ref().notify());
  const set = trace.findIndex((o) => writes(o, W.NOTIFIED));
  const check = trace.findIndex((o) => reads(o, W.NOTIFY_ME));
  const text = trace.map((o) => `${o.op}(${o.index})`).join(' ');
  assert.ok(set >= 0 && check > set, `NOTIFIED set, then NOTIFY_ME read: ${text}`);
}));
