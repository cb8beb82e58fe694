// The errors the tests expect: Node-style system and argument errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';

/** An expected Node-style system error: `EBADF: bad file descriptor, close`. */
export function systemError(code: string, syscall: string, errno: number, text: string) {
  return (e: unknown): true => {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    const err = e as NodeJS.ErrnoException;
    assert.equal(err.constructor, Error);
    assert.equal(err.message, `${code}: ${text}, ${syscall}`);
    assert.equal(err.code, code);
    assert.equal(err.errno, errno);
    assert.equal(err.syscall, syscall);
    return true;
  };
}

/** An expected argument error: a TypeError ERR_INVALID_ARG_TYPE or RangeError ERR_OUT_OF_RANGE. */
export function argError(kind: 'type' | 'range', message?: string | RegExp) {
  return (e: unknown): true => {
    if (kind === 'type') {
      assert.ok(e instanceof TypeError, `expected a TypeError, got ${String(e)}`);
      assert.equal((e as NodeJS.ErrnoException).code, 'ERR_INVALID_ARG_TYPE');
    } else {
      assert.ok(e instanceof RangeError, `expected a RangeError, got ${String(e)}`);
      assert.equal((e as NodeJS.ErrnoException).code, 'ERR_OUT_OF_RANGE');
    }
    if (typeof message === 'string') assert.equal((e as Error).message, message);
    else if (message) assert.match((e as Error).message, message);
    return true;
  };
}

/** Runs `fn`, returns the error it throws (fails if it throws nothing). */
export function catchError(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  assert.fail('expected an exception');
}

/**
 * The error Node's own JavaScript validators throw for `value` as an fd: the reference our
 * argument errors are compared with. The callback fs.read checks its fd that way (synchronously,
 * before any I/O) on every supported Node; fs.writeSync does not from Node 22 (its checks are
 * C++ there and word some values differently: no 1_000 separators, no function names).
 */
export function nodeFdError(value: unknown): NodeJS.ErrnoException {
  return catchError(() => fs.read(value as never, Buffer.alloc(1), 0, 1, null, () => {}));
}
