// lib/errors and lib/validate: errors built the way Node builds its own, compared with
// what Node itself throws for the same mistake; the addon's errors have the same shape.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { getSystemErrorMap, inspect } from 'node:util';
import { closedError, errnoException, invalidArgType, outOfRange } from '../../lib/errors';
import {
  signalName,
  validateBoolean,
  validateBytes,
  validateFd,
  validateFunction,
  validateInteger,
  validateOptions,
  validateSignal,
  validateSignals,
  validateUint64,
} from '../../lib/validate';
import { sys } from '../../lib';
import { catchError, leakCheck, nodeFdError, TEST_TIMEOUT } from '../support';

leakCheck();
const T = { timeout: TEST_TIMEOUT };

/** The parts of an error a caller can rely on. */
function shape(e: NodeJS.ErrnoException) {
  return {
    type: e.constructor,
    name: e.name,
    message: e.message,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    codeEnumerable: Object.getOwnPropertyDescriptor(e, 'code')?.enumerable,
  };
}

describe('system errors', () => {
  test('errnoException matches Node\'s own EBADF from close', T, () => {
    const nodes = catchError(() => fs.closeSync(2 ** 31 - 1));
    const ours = errnoException(9, 'close');
    assert.equal(ours.message, 'EBADF: bad file descriptor, close');
    assert.deepEqual(shape(ours), shape(nodes));
    assert.deepEqual(shape(errnoException(-9, 'close')), shape(nodes), 'the sign of errno does not matter');
  });

  test('the addon\'s system errors have the same shape as errnoException\'s', T, () => {
    const fromAddon = catchError(() => sys.close(2 ** 31 - 1));
    assert.deepEqual(shape(fromAddon), shape(errnoException(9, 'close')));
    assert.deepEqual(Object.keys(fromAddon).sort(), ['code', 'errno', 'syscall']);
  });

  test('code and text come from libuv\'s table, as Node prints them', T, () => {
    const map = getSystemErrorMap();
    for (const [errno, syscall] of [[11, 'read'], [32, 'write'], [3, 'kill'], [22, 'ppoll'], [24, 'pipe2']] as const) {
      const [code, text] = map.get(-errno)!;
      const e = errnoException(errno, syscall);
      assert.equal(e.message, `${code}: ${text}, ${syscall}`);
      assert.deepEqual([e.code, e.errno, e.syscall], [code, -errno, syscall]);
    }
    assert.equal(errnoException(11, 'read').code, 'EAGAIN');
    assert.equal(errnoException(3, 'kill').message, 'ESRCH: no such process, kill');
  });

  test('closedError: ERR_AIO_CLOSED', T, () => {
    const e = closedError('AioContext');
    assert.equal(e.constructor, Error);
    assert.equal(e.message, 'AioContext is closed');
    assert.equal((e as NodeJS.ErrnoException).code, 'ERR_AIO_CLOSED');
  });
});

describe('argument errors, worded like Node\'s', () => {

  test('invalidArgType describes the received value as Node does', T, () => {
    const values: unknown[] = [
      undefined,
      null,
      '3',
      "it's",
      'a'.repeat(28),
      'a'.repeat(29),
      {},
      [],
      new Map(),
      Object.create(null),
      () => {},
      function named() {},
      Symbol('s'),
      10n,
      false,
    ];
    for (const v of values) {
      assert.deepEqual(shape(invalidArgType('fd', 'of type number', v)), shape(nodeFdError(v)), `received ${inspect(v)}`);
    }
  });

  test('outOfRange shows the received value as Node does (separators past 2^32)', T, () => {
    for (const v of [-1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, -(2 ** 40), 2 ** 53]) {
      assert.deepEqual(shape(outOfRange('fd', '>= 0 && <= 2147483647', v)), shape(nodeFdError(v)), `received ${v}`);
    }
    for (const v of [1.5, NaN, Infinity, -Infinity]) {
      assert.deepEqual(shape(outOfRange('fd', 'an integer', v)), shape(nodeFdError(v)), `received ${v}`);
    }
    // Bigints: Node's own ERR_OUT_OF_RANGE from Buffer#writeBigUInt64LE.
    for (const v of [-1n, 2n ** 64n]) {
      const nodes = catchError(() => Buffer.alloc(8).writeBigUInt64LE(v));
      const received = nodes.message.slice(nodes.message.lastIndexOf('. Received '));
      assert.ok(outOfRange('value', 'x', v).message.endsWith(received), `${v}: ${received}`);
    }
    assert.equal(outOfRange('p.q', 'x', 1).message, 'The value of "p.q" is out of range. It must be x. Received 1');
  });

  test('a dotted name is a property, as in Node', T, () => {
    assert.equal(
      invalidArgType('options.semaphore', 'of type boolean', 1).message,
      'The "options.semaphore" property must be of type boolean. Received type number (1)',
    );
  });
});

describe('validators', () => {
  test('validateInteger / validateFd return the value or throw Node\'s errors', T, () => {
    assert.equal(validateInteger(5, 'n', 0, 10), 5);
    assert.equal(validateInteger(0, 'n', 0, 10), 0);
    assert.equal(validateInteger(10, 'n', 0, 10), 10);
    assert.throws(() => validateInteger(11, 'n', 0, 10), { code: 'ERR_OUT_OF_RANGE', message: /It must be >= 0 && <= 10. Received 11$/ });
    assert.throws(() => validateInteger(5n, 'n', 0, 10), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(validateFd(2 ** 31 - 1), 2 ** 31 - 1);
    assert.throws(() => validateFd(2 ** 31), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => validateFd(-1, 'readFd'), { message: /"readFd"/ });
  });

  test('validateUint64 takes numbers and bigints up to its maximum, as a bigint', T, () => {
    const max = 2n ** 64n - 2n;
    assert.equal(validateUint64(0, 'v', max), 0n);
    assert.equal(validateUint64(2 ** 53, 'v', max), 2n ** 53n);
    assert.equal(validateUint64(max, 'v', max), max);
    assert.throws(() => validateUint64(max + 1n, 'v', max), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => validateUint64(-1n, 'v', max), { name: 'RangeError' });
    assert.throws(() => validateUint64(0.5, 'v', max), { message: /It must be an integer/ });
    assert.throws(() => validateUint64('1', 'v', max), {
      name: 'TypeError',
      message: `The "v" argument must be one of type number or bigint. Received type string ('1')`,
    });
  });

  test('validateBoolean, validateFunction, validateOptions, validateBytes', T, () => {
    assert.equal(validateBoolean(false, 'b'), false);
    assert.throws(() => validateBoolean(0, 'b'), { code: 'ERR_INVALID_ARG_TYPE', message: /Received type number \(0\)$/ });
    const f = () => 1;
    assert.equal(validateFunction(f, 'cb'), f);
    assert.throws(() => validateFunction({}, 'cb'), { message: 'The "cb" argument must be of type function. Received an instance of Object' });
    assert.deepEqual(validateOptions(undefined), {});
    const o = { a: 1 };
    assert.equal(validateOptions(o), o);
    for (const bad of [null, 1, 'x', []]) assert.throws(() => validateOptions(bad), { code: 'ERR_INVALID_ARG_TYPE' });
    const u8 = new Uint8Array(2);
    assert.equal(validateBytes(u8, 'b'), u8);
    const dv = new DataView(new ArrayBuffer(2));
    assert.equal(validateBytes(dv, 'b'), dv);
    assert.throws(() => validateBytes(new ArrayBuffer(2), 'b'), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('signals by name or number', T, () => {
    assert.equal(validateSignal('SIGIO'), 29);
    assert.equal(validateSignal('SIGUSR2'), 12);
    assert.equal(validateSignal(34), 34);
    assert.equal(validateSignal(64), 64);
    assert.equal(validateSignal(0, 'signal', true), 0);
    assert.throws(() => validateSignal(0), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => validateSignal(65), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => validateSignal('sigio'), { code: 'ERR_OUT_OF_RANGE', message: /Received 'sigio'$/ });
    assert.throws(() => validateSignal(true), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepEqual(validateSignals(['SIGIO', 12], 'signals'), [29, 12]);
    assert.throws(() => validateSignals(['SIGIO', 'NOPE'], 'signals'), { message: /"signals\[1\]"/ });
    assert.equal(signalName(29), 'SIGIO');
    assert.equal(signalName(12), 'SIGUSR2');
    assert.equal(signalName(40), 'SIG40');
  });
});
