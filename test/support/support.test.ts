// The test support itself: each helper must be able to report a failure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AioContext, sys } from '../../lib';
import {
  assertNoFdLeak,
  childSkip,
  HangGuard,
  isFdOpen,
  leakCheck,
  listFds,
  openFds,
  parseSigset,
  rescueKick,
  runChild,
  runInWorker,
  scoped,
  startWorker,
  TEST_TIMEOUT,
  threadIds,
  threadState,
  waitFor,
  within,
} from '.';

leakCheck();
const T = { timeout: TEST_TIMEOUT };

describe('support', () => {
  test('openFds and listFds see a descriptor come and go', T, () => {
    const n = openFds();
    assert.equal(listFds().size, n);
    const fd = sys.eventfd();
    assert.equal(openFds(), n + 1);
    assert.equal(listFds().get(fd), 'anon_inode:[eventfd]');
    assert.ok(isFdOpen(fd));
    sys.close(fd);
    assert.equal(openFds(), n);
  });

  test('assertNoFdLeak fails on a leak and names the descriptor', T, async () => {
    let leaked = -1;
    await assert.rejects(
      assertNoFdLeak(() => {
        leaked = sys.eventfd();
      }, 50),
      (e: Error) => /left open: \[\d+ -> anon_inode:\[eventfd\]\]/.test(e.message),
    );
    sys.close(leaked);
    await assertNoFdLeak(() => sys.close(sys.eventfd()), 50);
  });

  test('scoped() releases what the body registered, even when the body throws', T, async () => {
    let fd = -1;
    const body = scoped((s) => {
      fd = s.fd(sys.eventfd());
      throw new Error('boom');
    });
    await assert.rejects(body({} as never), /boom/);
    assert.ok(!isFdOpen(fd));
  });

  test('waitFor resolves with the value, or rejects once the time is up', T, async () => {
    let i = 0;
    assert.equal(await waitFor(() => (++i >= 3 ? 'done' : null)), 'done');
    await assert.rejects(waitFor(() => false, { timeoutMs: 30, what: 'never' }), /timed out after 30 ms: never/);
    await assert.rejects(within(new Promise(() => {}), 20, 'a promise'), /timed out after 20 ms: a promise/);
  });

  test('runInWorker: a function, a source string, or a module file', T, async () => {
    assert.equal(await runInWorker(({ data }) => data * 2, 21), 42);
    assert.equal(await runInWorker('return sys.getpid() === data;', process.pid), true);
    const w = startWorker({ file: 'fixtures/echo-worker.js' }, { greeting: 'hello' });
    const first = await w.next();
    assert.equal(first.greeting, 'hello');
    assert.notEqual(first.tid, sys.gettid());
    w.post('world');
    assert.equal(await w.done(), 'hello world');
    assert.equal(w.settled, true);
    assert.equal(w.hasExited, true);
  });

  test('runInWorker rejects with the worker\'s error, code and errno kept', T, async () => {
    await assert.rejects(runInWorker(({ sys }) => sys.close(2 ** 31 - 1)), {
      message: 'in worker: EBADF: bad file descriptor, close',
      code: 'EBADF',
      errno: -9,
      syscall: 'close',
    });
    await assert.rejects(runInWorker('process.exit(3)'), /exited \(code 3\) before finishing/);
    const w = startWorker(() => 1);
    await w.done();
    await assert.rejects(w.next(), /finished before sending/);
  });

  test('thread views: threadIds, threadState, parseSigset', T, async () => {
    assert.ok(threadIds().includes(sys.gettid()));
    assert.equal(threadState(sys.gettid()), 'R', 'this thread is running');
    assert.deepEqual(parseSigset('0000000000000800'), [12]);
    assert.deepEqual(parseSigset('8000000000000001'), [1, 64]);
  });

  test('runChild reports exit status, signal and reports', { ...T, skip: childSkip() }, async () => {
    const ok = await runChild(({ report, data }) => {
      report(data);
      console.log('plain output');
    }, { x: 1 });
    assert.deepEqual([ok.code, ok.signal, ok.reports], [0, null, [{ x: 1 }]]);
    assert.match(ok.stdout, /plain output/);
    const failed = await runChild('throw new Error("child failure")');
    assert.equal(failed.code, 70);
    assert.match(failed.stderr, /child failure/);
    const killed = await runChild('process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 20000);');
    assert.equal(killed.signal, 'SIGTERM');
  });

  // The rescue of a lost wake-up must itself work: a poll(true) with nothing due sleeps for
  // ever, exactly as after a lost wake-up; the guard must end it and report it.
  test('HangGuard rescues a poll that sleeps for ever, and check() fails with the watchdog report', T, async () => {
    const guard = await HangGuard.start(300);
    const ctx = new AioContext({ sigioKick: false, name: 'guarded' });
    try {
      guard.watch(ctx);
      assert.equal(ctx.poll(true), false); // returns only because the guard wrote the eventfd
      assert.equal(guard.rescues, 1);
      assert.equal(ctx.stats.kicks, 0, 'the rescue bypassed notify()');
      assert.throws(() => guard.check('the deliberate sleep'), /the deliberate sleep: a poll slept 300 ms.*direct eventfd write[\s\S]*home thread/);
      guard.check('nothing new'); // a rescue is reported once
    } finally {
      ctx.close();
      await guard.stop();
    }
  });

  test('rescueKick writes the eventfd of an open context and nothing once it is closed', T, () => {
    const ctx = new AioContext({ sigioKick: false });
    const { sab } = ctx.ref();
    assert.equal(rescueKick(sab), true);
    assert.equal(ctx.poll(true), false); // returns at once: the eventfd is readable
    ctx.close();
    assert.equal(rescueKick(sab), false);
  });
});
