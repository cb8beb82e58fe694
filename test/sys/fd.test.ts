// sys: eventfd, pipe2, read/write, close — real descriptors, their flags read back from
// /proc/self/fdinfo, errors compared with Node's own for the same mistake.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { sys } from '../../lib';
import {
  argError,
  catchError,
  fdFlags,
  isFdOpen,
  leakCheck,
  nodeFdError,
  scoped,
  systemError,
  TEST_TIMEOUT,
} from '../support';

leakCheck();
const T = { timeout: TEST_TIMEOUT };

const O_NONBLOCK = 0o4000; // the same on x86_64 and aarch64 (asm-generic)
const O_CLOEXEC = 0o2000000;
/** A descriptor number no process has open (far past RLIMIT_NOFILE). */
const BAD_FD = 2 ** 31 - 1;
const EBADF = (syscall: string) => systemError('EBADF', syscall, -9, 'bad file descriptor');

describe('eventfd', () => {
  test('creates a non-blocking, close-on-exec eventfd by default', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd());
    assert.ok(Number.isInteger(fd) && fd >= 0);
    assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), 'anon_inode:[eventfd]');
    const flags = fdFlags(fd);
    assert.equal(flags & O_NONBLOCK, O_NONBLOCK, 'O_NONBLOCK');
    assert.equal(flags & O_CLOEXEC, O_CLOEXEC, 'O_CLOEXEC');
  }));

  test('nonblock: false and cloexec: false are honoured', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd(1, { nonblock: false, cloexec: false }));
    const flags = fdFlags(fd);
    assert.equal(flags & O_NONBLOCK, 0);
    assert.equal(flags & O_CLOEXEC, 0);
    // The counter is 1, so this read of a blocking eventfd returns at once.
    assert.equal(sys.eventfdRead(fd), 1n);
  }));

  test('initval starts the counter', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd(7));
    assert.equal(sys.eventfdRead(fd), 7n);
    const [big] = s.fds(sys.eventfd(2 ** 32 - 1));
    assert.equal(sys.eventfdRead(big), 2n ** 32n - 1n);
  }));

  test('read returns null when the counter is zero', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd());
    assert.equal(sys.eventfdRead(fd), null);
    assert.equal(sys.eventfdRead(fd), null);
  }));

  test('writes add up, and a read takes the whole sum', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd());
    assert.equal(sys.eventfdWrite(fd), true); // default value: 1
    assert.equal(sys.eventfdWrite(fd, 2), true);
    assert.equal(sys.eventfdWrite(fd, 40n), true);
    assert.equal(sys.eventfdWrite(fd, 0), true); // adds nothing
    assert.equal(sys.eventfdRead(fd), 43n);
    assert.equal(sys.eventfdRead(fd), null);
  }));

  test('semaphore mode: each read takes 1', T, scoped((s) => {
    const [fd] = s.fds(sys.eventfd(0, { semaphore: true }));
    sys.eventfdWrite(fd, 3);
    assert.deepEqual([sys.eventfdRead(fd), sys.eventfdRead(fd), sys.eventfdRead(fd)], [1n, 1n, 1n]);
    assert.equal(sys.eventfdRead(fd), null);
  }));

  test('write returns false when the counter would pass 2^64-2', T, scoped((s) => {
    assert.equal(sys.EVENTFD_MAX, 2n ** 64n - 2n);
    const [fd] = s.fds(sys.eventfd());
    assert.equal(sys.eventfdWrite(fd, sys.EVENTFD_MAX - 1n), true);
    assert.equal(sys.eventfdWrite(fd, 1n), true); // exactly the maximum
    assert.equal(sys.eventfdWrite(fd, 1n), false);
    assert.equal(sys.eventfdWrite(fd, 2 ** 53), false);
    assert.equal(sys.eventfdRead(fd), sys.EVENTFD_MAX, 'a refused write adds nothing');
    assert.equal(sys.eventfdWrite(fd, sys.EVENTFD_MAX), true);
    assert.equal(sys.eventfdRead(fd), sys.EVENTFD_MAX);
  }));

  test('argument errors: TypeError / RangeError, and no descriptor created', T, scoped((s) => {
    assert.throws(
      () => sys.eventfd(-1),
      argError('range', 'The value of "initval" is out of range. It must be >= 0 && <= 4294967295. Received -1'),
    );
    assert.throws(() => sys.eventfd(2 ** 32), argError('range', /It must be >= 0 && <= 4294967295\. Received 4294967296$/));
    assert.throws(() => sys.eventfd(0.5), argError('range', /It must be an integer/));
    assert.throws(
      () => sys.eventfd('1' as never),
      argError('type', `The "initval" argument must be of type number. Received type string ('1')`),
    );
    assert.throws(() => sys.eventfd(0, null as never), argError('type', /"options" argument must be of type object/));
    assert.throws(
      () => sys.eventfd(0, { semaphore: 1 as never }),
      argError('type', 'The "options.semaphore" property must be of type boolean. Received type number (1)'),
    );
    assert.throws(() => sys.eventfd(0, { nonblock: 'yes' as never }), argError('type', /"options\.nonblock" property/));

    const [fd] = s.fds(sys.eventfd());
    assert.throws(
      () => sys.eventfdWrite(fd, 2n ** 64n - 1n),
      argError(
        'range',
        'The value of "value" is out of range. It must be >= 0 && <= 18446744073709551614. ' +
          'Received 18_446_744_073_709_551_615n',
      ),
    );
    assert.throws(() => sys.eventfdWrite(fd, 2 ** 64), argError('range', /"value" is out of range/));
    assert.throws(() => sys.eventfdWrite(fd, -1), argError('range', /Received -1$/));
    assert.throws(() => sys.eventfdWrite(fd, -1n), argError('range', /Received -1n$/));
    assert.throws(() => sys.eventfdWrite(fd, 1.5), argError('range', /It must be an integer/));
    assert.throws(
      () => sys.eventfdWrite(fd, '1' as never),
      argError('type', `The "value" argument must be one of type number or bigint. Received type string ('1')`),
    );
    assert.throws(() => sys.eventfdWrite(-1, 1), argError('range', /"fd" is out of range/));
    assert.throws(() => sys.eventfdRead(-1), argError('range', /"fd" is out of range/));
    assert.throws(() => sys.eventfdRead('3' as never), argError('type', /"fd" argument must be of type number/));
    assert.equal(sys.eventfdRead(fd), null, 'no refused write reached the counter');
  }));

  test('EBADF on a closed descriptor, for read and write', T, () => {
    const fd = sys.eventfd();
    sys.close(fd);
    assert.throws(() => sys.eventfdRead(fd), EBADF('read'));
    assert.throws(() => sys.eventfdWrite(fd, 1), EBADF('write'));
    assert.throws(() => sys.eventfdRead(BAD_FD), EBADF('read'));
  });
});

describe('pipe2', () => {
  test('gives a non-blocking, close-on-exec read end and write end of one pipe', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    assert.notEqual(r, w);
    const target = fs.readlinkSync(`/proc/self/fd/${r}`);
    assert.match(target, /^pipe:\[\d+\]$/);
    assert.equal(fs.readlinkSync(`/proc/self/fd/${w}`), target, 'both ends of the same pipe');
    for (const fd of [r, w]) {
      assert.equal(fdFlags(fd) & (O_NONBLOCK | O_CLOEXEC), O_NONBLOCK | O_CLOEXEC);
    }
    assert.equal(fdFlags(r) & 3, 0, 'O_RDONLY');
    assert.equal(fdFlags(w) & 3, 1, 'O_WRONLY');
  }));

  test('write then read round-trips bytes; read returns null when empty, 0 at end of file', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    const buf = Buffer.alloc(16);
    assert.equal(sys.read(r, buf), null);
    assert.equal(sys.write(w, Buffer.from('hello')), 5);
    assert.equal(sys.read(r, buf), 5);
    assert.equal(buf.subarray(0, 5).toString(), 'hello');
    assert.equal(sys.read(r, buf), null);
    sys.close(w);
    s.forget(w);
    assert.equal(sys.read(r, buf), 0, 'end of file once the write end is closed');
  }));

  test('write returns null when the pipe is full', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    const chunk = new Uint8Array(4096).fill(7);
    let written = 0;
    let n: number | null;
    let calls = 0;
    while ((n = sys.write(w, chunk)) !== null) {
      written += n;
      assert.ok(++calls < 100_000, 'the pipe never filled');
    }
    assert.ok(written >= 4096, `wrote ${written} bytes before it was full`);
    const sink = new Uint8Array(65536);
    let drained = 0;
    for (let m = sys.read(r, sink); m !== null && m > 0; m = sys.read(r, sink)) drained += m;
    assert.equal(drained, written, 'every byte written is read back');
    assert.equal(sys.write(w, chunk), chunk.length, 'writable again once drained');
  }));

  test('read and write work on any view: offsets and element sizes are honoured', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    const backing = new Uint8Array(16).fill(0xee);
    // A view that starts 4 bytes into its buffer.
    assert.equal(sys.write(w, Uint8Array.from([1, 2, 3, 4])), 4);
    assert.equal(sys.read(r, backing.subarray(4, 8)), 4);
    assert.deepEqual([...backing.subarray(0, 10)], [0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4, 0xee, 0xee]);
    // Multi-byte elements: the byte length is elements * element size.
    sys.write(w, new Uint8Array(32).fill(9));
    assert.equal(sys.read(r, new Uint16Array(3)), 6);
    assert.equal(sys.read(r, new Float64Array(2)), 16);
    const dv = new DataView(new ArrayBuffer(12), 2, 8);
    assert.equal(sys.read(r, dv), 8);
    assert.equal(dv.getUint8(0), 9);
    assert.equal(new Uint8Array(dv.buffer)[1], 0, 'nothing written before the view');
    assert.equal(sys.read(r, new BigUint64Array(1)), 2);
    // A write from a view with an offset sends exactly that view.
    const src = Uint8Array.from([10, 11, 12, 13, 14, 15]);
    assert.equal(sys.write(w, new Int16Array(src.buffer, 2, 2)), 4);
    const got = new Uint8Array(8);
    assert.equal(sys.read(r, got), 4);
    assert.deepEqual([...got.subarray(0, 4)], [12, 13, 14, 15]);
  }));

  test('EPIPE when the read end is closed (Node ignores SIGPIPE)', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    sys.close(r);
    s.forget(r);
    assert.throws(() => sys.write(w, Buffer.from('x')), systemError('EPIPE', 'write', -32, 'broken pipe'));
  }));

  test('EBADF: reading the write end, writing the read end', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    assert.throws(() => sys.read(w, Buffer.alloc(1)), EBADF('read'));
    assert.throws(() => sys.write(r, Buffer.alloc(1)), EBADF('write'));
    assert.throws(() => sys.read(BAD_FD, Buffer.alloc(1)), EBADF('read'));
  }));

  test('argument errors', T, scoped((s) => {
    const [r, w] = s.fds(...sys.pipe2());
    assert.throws(
      () => sys.read(r, 'abc' as never),
      argError(
        'type',
        `The "buffer" argument must be an instance of Buffer, TypedArray, or DataView. Received type string ('abc')`,
      ),
    );
    assert.throws(() => sys.read(r, new ArrayBuffer(8) as never), argError('type', /Received an instance of ArrayBuffer$/));
    assert.throws(() => sys.write(w, [1, 2] as never), argError('type', /Received an instance of Array$/));
    assert.throws(() => sys.write(-1, Buffer.alloc(1)), argError('range', /"fd" is out of range/));
    assert.throws(() => sys.read(1.5, Buffer.alloc(1)), argError('range', /It must be an integer/));
  }));
});

describe('close', () => {
  test('releases the descriptor; closing it again is EBADF, as Node reports it', T, () => {
    const fd = sys.eventfd();
    assert.ok(isFdOpen(fd));
    sys.close(fd);
    assert.ok(!isFdOpen(fd));
    const ours = catchError(() => sys.close(fd));
    assert.throws(() => sys.close(fd), EBADF('close'));
    const nodes = catchError(() => fs.closeSync(BAD_FD));
    assert.equal(ours.message, 'EBADF: bad file descriptor, close');
    assert.deepEqual(
      { message: ours.message, code: ours.code, errno: ours.errno, syscall: ours.syscall, type: ours.constructor },
      { message: nodes.message, code: nodes.code, errno: nodes.errno, syscall: nodes.syscall, type: nodes.constructor },
    );
  });

  test('argument errors are worded like Node\'s own (its JavaScript fd check)', T, () => {
    const values: unknown[] = [
      undefined,
      null,
      '3',
      "it's",
      'x'.repeat(40),
      {},
      [],
      function named() {},
      Symbol('s'),
      1n,
      true,
      NaN,
      1.5,
      -1,
      2 ** 31,
      2 ** 32 + 5,
      Infinity,
    ];
    for (const v of values) {
      const ours = catchError(() => sys.close(v as never));
      const nodes = nodeFdError(v);
      assert.equal(ours.constructor, nodes.constructor, `error type for ${String(v)}`);
      assert.equal(ours.code, nodes.code, `code for ${String(v)}`);
      assert.equal(ours.message, nodes.message);
    }
  });
});
