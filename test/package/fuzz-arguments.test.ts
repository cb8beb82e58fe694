// Argument fuzzing of every public function (issue 8, class "bad input that escapes
// lib/errors.ts"): fast-check calls each one with arbitrary values where it expects
// something else, and the call must either work or throw one of the coded errors of
// DESIGN.md (Errors): a TypeError with ERR_INVALID_ARG_TYPE or ERR_INVALID_ARG_VALUE, a
// RangeError with ERR_OUT_OF_RANGE, ERR_AIO_CLOSED, ERR_INVALID_STATE, or a Node-shaped
// system error (code, negative errno, syscall). Never a bare V8 error, never a crash, never
// a leaked descriptor. Values that would be valid and dangerous (a real fd to close, a pid
// to signal) are left out of the generators: the point is the bad ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { AioContext, AioContextRef, BhRef, EventNotifier, sys } from '../../lib';
import { exposeContext } from '../../lib/observability/expose';
import { openFds } from '../support';

const RUNS = Number(process.env.AIO_FUZZ_RUNS ?? 200);

/** Anything but an integer that could name a real descriptor, process or signal. */
const notAnInt = fc.anything().filter((v) => !(typeof v === 'number' && Number.isInteger(v)));
/** Anything, including integers, for arguments where every value is safe to try. */
const any = fc.anything();

function checkError(err: unknown, what: string): void {
  assert.ok(err instanceof Error, `${what} threw a non-Error: ${String(err)}`);
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
      assert.ok(e instanceof TypeError, `${what}: ${e.code} is a TypeError`);
      break;
    case 'ERR_OUT_OF_RANGE':
      assert.ok(e instanceof RangeError, `${what}: ${e.code} is a RangeError`);
      break;
    case 'ERR_AIO_CLOSED':
    case 'ERR_INVALID_STATE':
      break;
    default:
      assert.ok(typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code), `${what} threw an uncoded error: ${e.stack}`);
      assert.ok(typeof e.errno === 'number' && e.errno < 0 && typeof e.syscall === 'string', `${what}: system error shape`);
  }
  assert.ok(e.message.length > 0, `${what}: a message`);
}

type Case = [name: string, args: fc.Arbitrary<unknown[]>, call: (args: unknown[]) => unknown];

test('every public function rejects arbitrary arguments with a coded error and leaks nothing', { timeout: 300_000 }, () => {
  const ctx = new AioContext({ sigioKick: false });
  const ref = ctx.ref();
  const bh = ctx.bhNew(() => {});
  const timer = ctx.timerNew(() => {});
  const notifier = new EventNotifier(false);
  const pollfds = new sys.PollFdArray(4);
  const closed = new AioContext({ sigioKick: false });
  closed.close();
  const before = openFds();
  const cases: Case[] = [
    ['new EventNotifier', fc.tuple(any), ([a]) => new EventNotifier(a as boolean).close()],
    ['new AioContext', fc.tuple(any), ([o]) => new AioContext(o as never).close()],
    ['ctx.poll', fc.tuple(any.filter((v) => v !== true)), ([b]) => ctx.poll(b as boolean)],
    ['ctx.setFdHandler', fc.tuple(notAnInt, any), ([fd, h]) => ctx.setFdHandler(fd as number, h as never)],
    ['ctx.setFdHandler(handler)', fc.tuple(any.filter((v) => v !== null)), ([h]) => {
      const [r, w] = sys.pipe2();
      try {
        ctx.setFdHandler(r, h as never);
      } finally {
        if (ctx.closed === false) ctx.setFdHandler(r, null);
        sys.close(r);
        sys.close(w);
      }
    }],
    ['ctx.setEventNotifier', fc.tuple(any, any, any), ([n, f, o]) => ctx.setEventNotifier(n as never, f as never, o as never)],
    ['ctx.setEventNotifier(read)', fc.tuple(any, any), ([f, o]) => {
      try {
        ctx.setEventNotifier(notifier, f as never, o as never);
      } finally {
        ctx.setEventNotifier(notifier, null);
      }
    }],
    ['ctx.bhNew', fc.tuple(any), ([cb]) => ctx.bhNew(cb as never).delete()],
    ['ctx.bhScheduleOneshot', fc.tuple(any.filter((v) => typeof v !== 'function')), ([cb]) => ctx.bhScheduleOneshot(cb as never)],
    ['ctx.timerNew', fc.tuple(any.filter((v) => typeof v !== 'function')), ([cb]) => ctx.timerNew(cb as never)],
    ['timer.mod', fc.tuple(any), ([d]) => {
      timer.mod(d as bigint);
      timer.del();
    }],
    ['AioContextRef.from', fc.tuple(any), ([v]) => AioContextRef.from(v)],
    ['BhRef.from', fc.tuple(any), ([v]) => BhRef.from(v)],
    ['BhRef.from(fields)', fc.tuple(any, any), ([index, gen]) => BhRef.from({ ...bh.ref(), index, gen })],
    ['closed.poll / closed.notify', fc.tuple(any), ([b]) => (b ? closed.notify() : closed.poll(false))],
    ['sys.eventfd', fc.tuple(any, any), ([i, o]) => sys.close(sys.eventfd(i as number, o as never))],
    ['sys.eventfdRead', fc.tuple(notAnInt), ([fd]) => sys.eventfdRead(fd as number)],
    ['sys.eventfdWrite', fc.tuple(notAnInt, any), ([fd, v]) => sys.eventfdWrite(fd as number, v as bigint)],
    ['sys.eventfdWrite(value)', fc.tuple(any), ([v]) => sys.eventfdWrite(notifier.fd, v as bigint) && sys.eventfdRead(notifier.fd)],
    ['sys.read', fc.tuple(notAnInt, any), ([fd, b]) => sys.read(fd as number, b as never)],
    ['sys.write', fc.tuple(notAnInt, any), ([fd, b]) => sys.write(fd as number, b as never)],
    ['sys.close', fc.tuple(notAnInt), ([fd]) => sys.close(fd as number)],
    ['sys.ppoll', fc.tuple(any, any.filter((v) => v !== -1 && v !== -1n)), ([p, t]) => sys.ppoll(p as never, t as number)],
    ['sys.ppoll(timeout)', fc.tuple(any.filter((v) => v !== -1 && v !== -1n && !(typeof v === 'number' && v > 1e6) && !(typeof v === 'bigint' && v > 1_000_000n))), ([t]) => sys.ppoll(pollfds, t as number)],
    ['new PollFdArray', fc.tuple(any), ([n]) => new sys.PollFdArray(n as number)],
    ['PollFdArray.fd/events/revents', fc.tuple(any), ([i]) => [pollfds.fd(i as number), pollfds.events(i as number), pollfds.revents(i as number)]],
    ['PollFdArray.push', fc.tuple(notAnInt, any), ([fd, e]) => pollfds.push(fd as number, e as number)],
    ['sys.kill', fc.tuple(notAnInt, any), ([p, s]) => sys.kill(p as number, s as never)],
    ['sys.tgkill', fc.tuple(notAnInt, notAnInt, any), ([a, b, s]) => sys.tgkill(a as number, b as number, s as never)],
    ['sys.sigqueue', fc.tuple(notAnInt, any, any), ([p, s, v]) => sys.sigqueue(p as number, s as never, v as bigint)],
    ['sys.sigmask', fc.tuple(any, any), ([h, s]) => {
      const old = sys.sigmask(h as never, s as never);
      sys.sigmask('SIG_SETMASK', old);
    }],
    ['sys.openSignalRelay', fc.tuple(any), ([s]) => sys.openSignalRelay(s as never).close()],
    ['sys.epollCtl', fc.tuple(notAnInt, any, any, any), ([e, o, f, v]) => sys.epollCtl(e as number, o as number, f as number, v as number)],
    ['sys.epollWait', fc.tuple(notAnInt, any, any), ([e, o, t]) => sys.epollWait(e as number, o as never, t as number)],
    ['exposeContext', fc.tuple(any, any), ([c, l]) => exposeContext(c as never, l as string).close()],
    ['exposeContext(label)', fc.tuple(any), ([l]) => exposeContext(ref, l as string).close()],
  ];
  try {
    for (const [name, args, call] of cases) {
      fc.assert(
        fc.property(args, (a) => {
          try {
            call(a as unknown[]);
          } catch (err) {
            checkError(err, name);
          }
        }),
        { numRuns: RUNS },
      );
    }
  } finally {
    timer.del();
    bh.delete();
    notifier.close();
    ctx.close();
  }
  assert.equal(openFds(), before - 2, 'every descriptor opened by the calls was closed (the two closed just above excepted)');
});
