// sys: getpid/gettid, kill/tgkill, per-thread signal masks, sigpending, and ppoll's
// sigmask (PPOLL_INTERRUPTED). Real signals: SIGUSR2, whose default action kills the
// process, is only ever sent while a relay for it is open (its handler then takes it).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sys } from '../../lib';
import {
  argError,
  leakCheck,
  runInWorker,
  type Scope,
  scoped,
  sleep,
  startWorker,
  systemError,
  TEST_TIMEOUT,
  threadBlocked,
  threadExists,
  waitFor,
  waitForThreadAsleep,
} from '../support';

leakCheck();
const T = { timeout: TEST_TIMEOUT };
const SIGUSR2 = 12; // the same on x86_64 and aarch64
const SIGWINCH = 28;
const SI_TKILL = -6;
/** A pid / tid no process or thread has (far past pid_max). */
const NO_SUCH_ID = 2 ** 31 - 1;
const ESRCH = (syscall: string) => systemError('ESRCH', syscall, -3, 'no such process');

/** Opens a relay for SIGUSR2 for the test's duration, so that SIGUSR2 cannot kill us. */
function guardSigusr2(s: Scope): sys.SignalRelay {
  const relay = sys.openSignalRelay(['SIGUSR2']);
  s.defer(() => relay.close());
  return relay;
}

/** Restores the calling thread's mask when the test ends. */
function keepMask(s: Scope): number[] {
  const old = sys.sigmask('SIG_BLOCK', []);
  s.defer(() => sys.sigmask('SIG_SETMASK', old));
  return old;
}

describe('identity', () => {
  test('getpid is process.pid; on the main thread gettid equals it', T, () => {
    assert.equal(sys.getpid(), process.pid);
    assert.equal(sys.gettid(), process.pid);
  });

  test('each worker has its own kernel thread id, a live task of this process', T, async () => {
    const body = async ({ sys, send, receive }: any) => {
      send({ pid: sys.getpid(), tid: sys.gettid() });
      await receive();
      return sys.gettid();
    };
    const a = startWorker(body);
    const b = startWorker(body);
    const [ia, ib] = [await a.next(), await b.next()];
    for (const i of [ia, ib]) {
      assert.equal(i.pid, process.pid);
      assert.notEqual(i.tid, process.pid);
      assert.ok(threadExists(i.tid), `/proc/self/task/${i.tid} exists`);
      sys.tgkill(process.pid, i.tid, 0); // a probe: the thread is in our group
    }
    assert.notEqual(ia.tid, ib.tid);
    a.post('go');
    b.post('go');
    assert.equal(await a.done(), ia.tid, 'stable across calls');
    assert.equal(await b.done(), ib.tid);
    await waitFor(() => !threadExists(ia.tid), { what: 'the worker task gone' });
    assert.throws(() => sys.tgkill(process.pid, ia.tid, 0), ESRCH('tgkill'));
  });
});

describe('kill and tgkill', () => {
  test('signal 0 probes; ESRCH for a process or thread that does not exist', T, () => {
    sys.kill(sys.getpid(), 0);
    sys.tgkill(sys.getpid(), sys.gettid(), 0);
    assert.throws(() => sys.kill(NO_SUCH_ID, 0), ESRCH('kill'));
    assert.throws(() => sys.tgkill(sys.getpid(), NO_SUCH_ID, 0), ESRCH('tgkill'));
    assert.throws(() => sys.tgkill(NO_SUCH_ID, sys.gettid(), 0), ESRCH('tgkill'));
  });

  test('argument errors', T, () => {
    const pid = sys.getpid();
    assert.throws(
      () => sys.kill(pid, 'SIGFOO'),
      argError(
        'range',
        `The value of "signal" is out of range. It must be a known signal name such as SIGIO. Received 'SIGFOO'`,
      ),
    );
    assert.throws(() => sys.kill(pid, 65), argError('range', /"signal" is out of range. It must be >= 0 && <= 64/));
    assert.throws(() => sys.kill(pid, -1), argError('range', /"signal"/));
    assert.throws(() => sys.kill(pid, {} as never), argError('type', /"signal" argument must be one of type string or number/));
    assert.throws(() => sys.kill('1' as never, 0), argError('type', /"pid" argument must be of type number/));
    assert.throws(() => sys.kill(1.5, 0), argError('range', /"pid" is out of range. It must be an integer/));
    assert.throws(() => sys.tgkill(0, 1, 0), argError('range', /"tgid" is out of range. It must be >= 1/));
    assert.throws(() => sys.tgkill(pid, 0, 0), argError('range', /"tid" is out of range/));
    assert.throws(() => sys.tgkill(pid, pid, 'SIGNOPE'), argError('range', /"signal"/));
  });
});

describe('signal masks', () => {
  test('constants', T, () => {
    assert.deepEqual([sys.SIG_BLOCK, sys.SIG_UNBLOCK, sys.SIG_SETMASK], [0, 1, 2]);
    assert.deepEqual([sys.SIGRTMIN, sys.SIGRTMAX], [34, 64]);
  });

  test('sigmask blocks, unblocks and sets the calling thread\'s mask, returning the old one', T, scoped((s) => {
    const original = keepMask(s);
    assert.ok(!original.includes(SIGUSR2) && !original.includes(SIGWINCH));
    const old = sys.sigmask('SIG_BLOCK', ['SIGUSR2', SIGWINCH]);
    assert.deepEqual(old, original);
    const now = sys.sigmask('SIG_BLOCK', []);
    assert.deepEqual(now, [...original, SIGUSR2, SIGWINCH].sort((a, b) => a - b));
    // The kernel agrees (SigBlk is right under qemu-user too).
    const seen = threadBlocked(sys.gettid());
    assert.ok(seen.includes(SIGUSR2) && seen.includes(SIGWINCH), `SigBlk: ${seen}`);
    assert.deepEqual(sys.sigmask('SIG_UNBLOCK', ['SIGWINCH']), now);
    assert.deepEqual(sys.sigmask('SIG_SETMASK', original), [...original, SIGUSR2].sort((a, b) => a - b));
    assert.deepEqual(sys.sigmask('SIG_BLOCK', []), original);
    assert.ok(!threadBlocked(sys.gettid()).includes(SIGUSR2));
  }));

  test('a mask set in a worker is that thread\'s alone', T, scoped(async (s) => {
    const w = s.worker(
      startWorker(async ({ sys, send, receive }) => {
        const before = sys.sigmask('SIG_BLOCK', ['SIGUSR2', 'SIGWINCH']);
        send({ tid: sys.gettid(), before, after: sys.sigmask('SIG_BLOCK', []) });
        const mainMask: number[] = await receive(); // the main thread's, after it changed it
        return { mainMask, mine: sys.sigmask('SIG_BLOCK', []) };
      }),
    );
    const info = await w.next();
    assert.ok(!info.before.includes(SIGUSR2));
    assert.ok(info.after.includes(SIGUSR2) && info.after.includes(SIGWINCH));
    // The main thread's mask is untouched, by its own account and by the kernel's.
    const mainMask = sys.sigmask('SIG_BLOCK', []);
    assert.ok(!mainMask.includes(SIGUSR2) && !mainMask.includes(SIGWINCH), `main mask: ${mainMask}`);
    assert.ok(!threadBlocked(sys.gettid()).includes(SIGUSR2), 'main SigBlk');
    const workerSeen = threadBlocked(info.tid);
    assert.ok(workerSeen.includes(SIGUSR2) && workerSeen.includes(SIGWINCH), `worker SigBlk: ${workerSeen}`);
    // And the other way round: the main thread blocking a signal does not reach the worker.
    keepMask(s);
    sys.sigmask('SIG_BLOCK', ['SIGURG']);
    w.post(sys.sigmask('SIG_BLOCK', []));
    const r = await w.done();
    assert.ok(r.mainMask.includes(23 /* SIGURG */));
    assert.ok(!r.mine.includes(23), `worker mask: ${r.mine}`);
    assert.ok(!threadBlocked(sys.gettid()).includes(SIGUSR2));
  }));

  test('sigmask argument errors', T, () => {
    assert.throws(
      () => sys.sigmask('SIG_NOPE' as never, []),
      argError('range', `The value of "how" is out of range. It must be one of 'SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'. Received 'SIG_NOPE'`),
    );
    assert.throws(() => sys.sigmask(0 as never, []), argError('range', /"how"/));
    assert.throws(() => sys.sigmask('SIG_BLOCK', 'SIGIO' as never), argError('type', /"signals" argument must be an instance of Array/));
    assert.throws(() => sys.sigmask('SIG_BLOCK', ['SIGFOO']), argError('range', /"signals\[0\]" is out of range/));
    assert.throws(() => sys.sigmask('SIG_BLOCK', [0]), argError('range', /"signals\[0\]"/));
    assert.deepEqual(sys.sigmask('SIG_BLOCK', []), [], 'nothing was blocked by a rejected call');
  });

  test('sigpending: a blocked thread-directed signal stays pending until unblocked', T, scoped(async (s) => {
    const relay = guardSigusr2(s);
    const original = keepMask(s);
    sys.sigmask('SIG_BLOCK', ['SIGUSR2']);
    assert.ok(!sys.sigpending().includes(SIGUSR2));
    sys.tgkill(sys.getpid(), sys.gettid(), 'SIGUSR2');
    assert.ok(sys.sigpending().includes(SIGUSR2), `pending: ${sys.sigpending()}`);
    await sleep(20);
    assert.deepEqual(relay.read(), [], 'not delivered while blocked');
    sys.sigmask('SIG_SETMASK', original); // delivered on the way out of this call
    const records = await waitFor(() => {
      const r = relay.read();
      return r.length > 0 ? r : null;
    });
    assert.equal(records.length, 1);
    assert.equal(records[0].signo, SIGUSR2);
    assert.equal(records[0].name, 'SIGUSR2');
    assert.equal(records[0].code, SI_TKILL);
    assert.equal(records[0].pid, sys.getpid());
    assert.ok(!sys.sigpending().includes(SIGUSR2));
  }));
});

describe('ppoll with a signal mask', () => {
  // The worker blocks SIGUSR2 and sleeps in ppoll with a mask that lets it in: only a
  // signal can end that sleep (the eventfd is the rescue if the test fails first).
  test('a worker asleep in ppoll(-1, mask) returns PPOLL_INTERRUPTED when tgkill\'ed', T, scoped(async (s) => {
    const relay = guardSigusr2(s);
    const rescue = s.fd(sys.eventfd());
    const w = startWorker(
      ({ sys, data, send }) => {
        const old = sys.sigmask('SIG_BLOCK', ['SIGUSR2']);
        const p = new sys.PollFdArray(1);
        p.push(data.rescue, sys.POLLIN);
        send(sys.gettid());
        const n = sys.ppoll(p, -1, old); // old: SIGUSR2 not in it
        const maskAfter = sys.sigmask('SIG_SETMASK', old);
        return { n, revents: p.revents(0), maskAfter };
      },
      { rescue },
    );
    s.wakeWorker(w, () => sys.eventfdWrite(rescue, 1));
    const tid: number = await w.next();
    await waitForThreadAsleep(tid);
    await sleep(20);
    assert.equal(w.settled, false, 'ppoll(-1) returned before any signal');
    sys.tgkill(sys.getpid(), tid, 'SIGUSR2');
    const r = await w.done();
    assert.equal(r.n, sys.PPOLL_INTERRUPTED);
    assert.equal(r.revents, 0);
    assert.ok(r.maskAfter.includes(SIGUSR2), 'ppoll restored the thread\'s own mask');
    const [record] = await waitFor(() => {
      const got = relay.read();
      return got.length > 0 ? got : null;
    });
    assert.deepEqual([record.signo, record.code, record.pid], [SIGUSR2, SI_TKILL, sys.getpid()]);
  }));

  test('without a mask the blocked signal stays pending; with one it interrupts at once', T, scoped(async (s) => {
    guardSigusr2(s);
    const rescue = s.fd(sys.eventfd());
    const w = startWorker(
      async ({ sys, data, send, receive }) => {
        const old = sys.sigmask('SIG_BLOCK', ['SIGUSR2']);
        const p = new sys.PollFdArray(1);
        p.push(data.rescue, sys.POLLIN);
        send(sys.gettid());
        await receive(); // the main thread has sent SIGUSR2 to this thread
        const pending = sys.sigpending();
        const plain = sys.ppoll(p, 50_000_000); // SIGUSR2 still blocked: a timeout
        const stillPending = sys.sigpending();
        const masked = sys.ppoll(p, -1, old); // unblocked for the wait: delivered now
        const pendingAfter = sys.sigpending();
        sys.sigmask('SIG_SETMASK', old);
        return { pending, plain, stillPending, masked, pendingAfter };
      },
      { rescue },
    );
    s.wakeWorker(w, () => sys.eventfdWrite(rescue, 1));
    const tid: number = await w.next();
    sys.tgkill(sys.getpid(), tid, 'SIGUSR2');
    assert.ok(!sys.sigpending().includes(SIGUSR2), 'pending for the worker only, not for this thread');
    w.post('sent');
    const r = await w.done();
    assert.ok(r.pending.includes(SIGUSR2), `pending in the worker: ${r.pending}`);
    assert.equal(r.plain, 0);
    assert.ok(r.stillPending.includes(SIGUSR2));
    assert.equal(r.masked, sys.PPOLL_INTERRUPTED);
    assert.ok(!r.pendingAfter.includes(SIGUSR2));
  }));

  test('a mask that keeps the signal blocked does not interrupt', T, scoped(async (s) => {
    guardSigusr2(s);
    const r = await runInWorker(({ sys }) => {
      const old = sys.sigmask('SIG_BLOCK', ['SIGUSR2']);
      sys.tgkill(sys.getpid(), sys.gettid(), 'SIGUSR2');
      const n = sys.ppoll(new sys.PollFdArray(0), 20_000_000, [...old, 'SIGUSR2']);
      const pending = sys.sigpending();
      const delivered = sys.ppoll(new sys.PollFdArray(0), 60_000_000_000, old); // pending: at once
      sys.sigmask('SIG_SETMASK', old);
      return { n, pending, delivered };
    });
    assert.equal(r.n, 0);
    assert.ok(r.pending.includes(SIGUSR2));
    assert.equal(r.delivered, sys.PPOLL_INTERRUPTED);
  }));
});
