// sys: ppoll over a caller-owned struct pollfd buffer — timeouts, revents, raw buffers,
// and a worker thread asleep in ppoll woken from the main thread.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sys } from '../../lib';
import {
  argError,
  leakCheck,
  type Scope,
  scoped,
  sleep,
  startWorker,
  TEST_TIMEOUT,
  waitForThreadAsleep,
  type WorkerContext,
} from '../support';

leakCheck();
const T = { timeout: TEST_TIMEOUT };
const { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL } = sys;

function pollOne(fd: number, events: number): sys.PollFdArray {
  const p = new sys.PollFdArray(1);
  p.push(fd, events);
  return p;
}

describe('constants and PollFdArray', () => {
  test('poll constants are Linux\'s (the same on x86_64 and aarch64)', T, () => {
    assert.deepEqual(
      { POLLIN, POLLPRI: sys.POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDHUP: sys.POLLRDHUP },
      { POLLIN: 1, POLLPRI: 2, POLLOUT: 4, POLLERR: 8, POLLHUP: 16, POLLNVAL: 32, POLLRDHUP: 0x2000 },
    );
    assert.equal(sys.POLLFD_SIZE, 8);
    assert.equal(sys.PPOLL_INTERRUPTED, -1);
  });

  test('lays entries out as struct pollfd: fd int32, events int16, revents int16', T, () => {
    const p = new sys.PollFdArray(3);
    assert.equal(p.capacity, 3);
    assert.equal(p.length, 0);
    assert.equal(p.bytes.byteLength, 24);
    assert.equal(p.push(5, POLLIN), 0);
    assert.equal(p.push(70000, POLLIN | POLLOUT), 1);
    assert.equal(p.length, 2);
    const dv = new DataView(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
    assert.equal(dv.getInt32(8, true), 70000);
    assert.equal(dv.getInt16(12, true), POLLIN | POLLOUT);
    assert.equal(dv.getInt16(14, true), 0);
    dv.setInt16(14, POLLNVAL, true);
    assert.equal(p.revents(1), POLLNVAL);
    assert.deepEqual([p.fd(1), p.events(1)], [70000, POLLIN | POLLOUT]);
    p.set(1, 6, POLLOUT);
    assert.equal(p.revents(1), 0, 'set() clears revents');
    assert.deepEqual([p.fd(1), p.events(1)], [6, POLLOUT]);
    p.length = 0;
    assert.equal(p.length, 0);
  });

  test('PollFdArray argument errors', T, () => {
    assert.throws(() => new sys.PollFdArray(-1), argError('range', /"capacity" is out of range/));
    assert.throws(() => new sys.PollFdArray('2' as never), argError('type', /"capacity" argument/));
    const p = new sys.PollFdArray(1);
    assert.throws(() => p.push(-1, POLLIN), argError('range', /"fd" is out of range/));
    assert.throws(() => p.push(1, 0x10000), argError('range', /"events" is out of range/));
    assert.equal(p.length, 0, 'a rejected push adds no entry');
    p.push(1, POLLIN);
    assert.throws(() => p.push(2, POLLIN), argError('range', /"length" is out of range/));
    assert.throws(() => (p.length = 2), argError('range', /"length" is out of range/));
    assert.throws(() => p.set(1, 2, POLLIN), argError('range', /"index" is out of range/));
  });
});

describe('ppoll', () => {
  test('timeout 0: nothing ready gives 0 and leaves revents 0', T, scoped((s) => {
    const fd = s.fd(sys.eventfd());
    const p = pollOne(fd, POLLIN);
    assert.equal(sys.ppoll(p, 0), 0);
    assert.equal(p.revents(0), 0);
    assert.equal(sys.ppoll(p, 0n), 0);
  }));

  test('a ready eventfd: count 1, revents POLLIN; POLLOUT alone while empty', T, scoped((s) => {
    const fd = s.fd(sys.eventfd());
    const p = pollOne(fd, POLLIN | POLLOUT);
    assert.equal(sys.ppoll(p, 0), 1);
    assert.equal(p.revents(0), POLLOUT, 'empty: writable, not readable');
    sys.eventfdWrite(fd, 1);
    assert.equal(sys.ppoll(p, 0), 1);
    assert.equal(p.revents(0), POLLIN | POLLOUT);
    assert.equal(sys.eventfdRead(fd), 1n, 'ppoll does not consume the counter');
  }));

  test('a positive timeout waits at least that long when nothing is ready', T, scoped((s) => {
    const fd = s.fd(sys.eventfd());
    const p = pollOne(fd, POLLIN);
    for (const timeout of [30_000_000, 30_000_000n]) {
      const t0 = process.hrtime.bigint();
      assert.equal(sys.ppoll(p, timeout), 0);
      const elapsed = process.hrtime.bigint() - t0;
      // A lower bound only (ppoll never returns early); slow machines only add to it.
      assert.ok(elapsed >= 29_000_000n, `returned after ${elapsed} ns`);
      assert.equal(p.revents(0), 0);
    }
  }));

  test('timeout -1 with a ready descriptor returns at once with it', T, scoped((s) => {
    const fd = s.fd(sys.eventfd(3));
    const p = pollOne(fd, POLLIN);
    assert.equal(sys.ppoll(p, -1), 1);
    assert.equal(p.revents(0), POLLIN);
    assert.equal(sys.ppoll(p, -1n), 1);
  }));

  test('huge timeouts (past 2^53, as bigints) are clamped, not refused', T, scoped((s) => {
    const fd = s.fd(sys.eventfd(1));
    const p = pollOne(fd, POLLIN);
    // 4593918114535590649135104n used to give EINVAL: its timespec had tv_nsec >= 1e9.
    for (const t of [Number.MAX_SAFE_INTEGER, 2n ** 53n + 1n, 2n ** 63n, 4593918114535590649135104n, 10n ** 30n, 10n ** 400n]) {
      assert.equal(sys.ppoll(p, t), 1, `timeout ${t}`);
      assert.equal(p.revents(0), POLLIN);
    }
  }));

  test('counts ready entries only, and fills every entry\'s revents', T, scoped((s) => {
    const ready = s.fd(sys.eventfd(1));
    const empty = s.fd(sys.eventfd());
    const [r, w] = s.fds(...sys.pipe2());
    const p = new sys.PollFdArray(4);
    p.push(empty, POLLIN);
    p.push(ready, POLLIN);
    p.push(r, POLLIN);
    p.push(w, POLLOUT);
    assert.equal(sys.ppoll(p, 0), 2);
    assert.deepEqual([0, 1, 2, 3].map((i) => p.revents(i)), [0, POLLIN, 0, POLLOUT]);
    sys.write(w, Buffer.from('x'));
    assert.equal(sys.ppoll(p, 0), 3);
    assert.equal(p.revents(2), POLLIN);
    p.length = 2; // only the first two are polled now
    assert.equal(sys.ppoll(p, 0), 1);
  }));

  test('POLLHUP and POLLERR come whether asked for or not', T, scoped((s) => {
    const [r1, w1] = s.fds(...sys.pipe2());
    s.close(w1);
    const hup = pollOne(r1, 0);
    assert.equal(sys.ppoll(hup, 0), 1);
    assert.equal(hup.revents(0), POLLHUP, 'read end of a pipe with no writer');
    const [r2, w2] = s.fds(...sys.pipe2());
    s.close(r2);
    const err = pollOne(w2, POLLOUT);
    assert.equal(sys.ppoll(err, 0), 1);
    assert.equal(err.revents(0) & POLLERR, POLLERR, 'write end of a pipe with no reader');
  }));

  test('POLLNVAL for a closed descriptor; negative fds in a raw buffer are skipped', T, scoped((s) => {
    const fd = sys.eventfd();
    sys.close(fd);
    const p = pollOne(fd, POLLIN);
    assert.equal(sys.ppoll(p, 0), 1);
    assert.equal(p.revents(0), POLLNVAL);

    const live = s.fd(sys.eventfd(1));
    const raw = new Int32Array([-1, POLLIN, live, POLLIN]); // revents share the events word
    assert.equal(sys.ppoll(raw, 0), 1);
    const halves = new Int16Array(raw.buffer);
    assert.equal(halves[3], 0, 'fd -1: revents 0');
    assert.equal(halves[7], POLLIN);
  }));

  test('raw buffers: any view, at any offset; revents land in place', T, scoped((s) => {
    const ready = s.fd(sys.eventfd(1));
    const backing = new ArrayBuffer(32);
    const all = new DataView(backing);
    all.setInt32(8, ready, true);
    all.setInt16(12, POLLIN, true);
    all.setInt32(16, ready, true);
    all.setInt16(20, POLLOUT, true);
    // Bytes 8..24 only: two entries, seen through a DataView with a byte offset.
    assert.equal(sys.ppoll(new DataView(backing, 8, 16), 0), 2);
    assert.equal(all.getInt16(14, true), POLLIN);
    assert.equal(all.getInt16(22, true), POLLOUT);
    assert.deepEqual([...new Uint8Array(backing, 0, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing before the view');
    assert.deepEqual([...new Uint8Array(backing, 24, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing after it');
    // The same through a Uint8Array subarray.
    all.setInt16(14, 0, true);
    assert.equal(sys.ppoll(new Uint8Array(backing).subarray(8, 16), 0), 1);
    assert.equal(all.getInt16(14, true), POLLIN);
    assert.equal(all.getInt16(22, true), POLLOUT, 'the entry outside the view is untouched');
  }));

  test('zero entries: a plain sleep', T, () => {
    assert.equal(sys.ppoll(new sys.PollFdArray(0), 0), 0);
    assert.equal(sys.ppoll(new sys.PollFdArray(0), 1_000_000), 0);
    assert.equal(sys.ppoll(new Uint8Array(0), 0), 0);
  });

  test('argument errors', T, scoped((s) => {
    const p = pollOne(s.fd(sys.eventfd()), POLLIN);
    assert.throws(
      () => sys.ppoll(new Uint8Array(12), 0),
      argError('range', 'The value of "pollfds.byteLength" is out of range. It must be a multiple of 8. Received 12'),
    );
    assert.throws(() => sys.ppoll(new Int16Array(3), 0), argError('range', /multiple of 8\. Received 6$/));
    assert.throws(() => sys.ppoll('x' as never, 0), argError('type', /"pollfds" argument must be an instance of Buffer, TypedArray, or DataView/));
    assert.throws(() => sys.ppoll(new ArrayBuffer(8) as never, 0), argError('type', /"pollfds"/));
    assert.throws(() => sys.ppoll(p, -2), argError('range', /"timeoutNs" is out of range. It must be >= -1/));
    assert.throws(() => sys.ppoll(p, -2n), argError('range', /"timeoutNs" is out of range. It must be >= -1. Received -2n$/));
    assert.throws(() => sys.ppoll(p, 1.5), argError('range', /It must be an integer/));
    assert.throws(() => sys.ppoll(p, Infinity), argError('range', /"timeoutNs"/));
    assert.throws(() => sys.ppoll(p, '5' as never), argError('type', /"timeoutNs" argument/));
    assert.throws(() => sys.ppoll(p, 0, ['SIGFOO']), argError('range', /"sigmask\[0\]" is out of range/));
    assert.throws(() => sys.ppoll(p, 0, 'SIGIO' as never), argError('type', /"sigmask" argument must be an instance of Array/));
    assert.throws(() => sys.ppoll(p, 0, [65]), argError('range', /"sigmask\[0\]"/));
  }));
});

// ---------------------------------------------------------------------------------------
// Across threads: a worker asleep in ppoll, woken by the main thread.

interface SleeperData {
  fds: Array<[fd: number, events: number]>;
}
interface SleeperResult {
  n: number;
  revents: number[];
}

/** Worker body: send gettid(), then ppoll(fds, -1) and report what woke it. */
function sleeper({ sys, data, send }: WorkerContext<SleeperData>): SleeperResult {
  const p = new sys.PollFdArray(data.fds.length);
  for (const [fd, events] of data.fds) p.push(fd, events);
  send(sys.gettid());
  const n = sys.ppoll(p, -1);
  return { n, revents: data.fds.map((_, i) => p.revents(i)) };
}

/**
 * Starts a sleeper on `fds` plus a rescue eventfd (last entry): if the test fails before
 * it wakes the worker, the scope's cleanup writes the rescue fd so the thread can end.
 * Resolves once the worker is asleep in ppoll.
 */
async function startSleeper(s: Scope, fds: Array<[number, number]>) {
  const rescue = s.fd(sys.eventfd());
  const w = startWorker<SleeperResult, SleeperData>(sleeper, { fds: [...fds, [rescue, POLLIN]] });
  s.wakeWorker(w, () => sys.eventfdWrite(rescue, 1));
  const tid: number = await w.next();
  assert.notEqual(tid, sys.gettid());
  await waitForThreadAsleep(tid);
  // Still asleep a moment later: nothing but the main thread's write can wake it.
  await sleep(20);
  assert.equal(w.settled, false, 'the worker returned from ppoll(-1) before it was woken');
  return w;
}

describe('ppoll across threads', () => {
  test('a worker asleep in ppoll(-1) wakes on an eventfd write from the main thread', T, scoped(async (s) => {
    const efd = s.fd(sys.eventfd());
    const w = await startSleeper(s, [[efd, POLLIN]]);
    assert.equal(sys.eventfdWrite(efd, 5), true);
    const r = await w.done();
    assert.equal(r.n, 1);
    assert.deepEqual(r.revents, [POLLIN, 0]);
    assert.equal(sys.eventfdRead(efd), 5n, 'the worker\'s ppoll did not consume the counter');
  }));

  test('the revents tell which of several descriptors woke the worker', T, scoped(async (s) => {
    const a = s.fd(sys.eventfd());
    const b = s.fd(sys.eventfd());
    const w = await startSleeper(s, [[a, POLLIN], [b, POLLIN]]);
    sys.eventfdWrite(b, 1);
    const r = await w.done();
    assert.equal(r.n, 1);
    assert.deepEqual(r.revents, [0, POLLIN, 0]);
  }));

  test('a worker asleep on a pipe wakes on a write, and on the writer closing (POLLHUP)', T, scoped(async (s) => {
    const [r1, w1] = s.fds(...sys.pipe2());
    const worker1 = await startSleeper(s, [[r1, POLLIN]]);
    sys.write(w1, Buffer.from('wake'));
    assert.deepEqual((await worker1.done()).revents, [POLLIN, 0]);

    const [r2, w2] = s.fds(...sys.pipe2());
    const worker2 = await startSleeper(s, [[r2, POLLIN]]);
    s.close(w2);
    assert.deepEqual((await worker2.done()).revents, [POLLHUP, 0]);
  }));
});
