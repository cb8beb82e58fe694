// Errors worded and coded like Node's own (lib/internal/errors.js), so that users meet
// the codes they already handle: ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, system errors
// with a negative `errno`, plus our ERR_AIO_CLOSED for use after close.
import { getSystemErrorMap, getSystemErrorName, inspect } from 'node:util';

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: string };
}

/** How Node describes a received value in argument errors (determineSpecificType). */
function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : value})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${(value as { name: string }).name}`;
    case 'string': {
      const s = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return s.includes("'") ? `type string (${JSON.stringify(s)})` : `type string ('${s}')`;
    }
    default: {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor?.name) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
  }
}

/** `expected` completes "must be ...", e.g. 'of type number', 'one of type number or bigint'. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The "${name}" ${kind} must be ${expected}. Received ${describeReceived(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

function withSeparators(digits: string): string {
  let out = '';
  let i = digits.length;
  const start = digits[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) out = `_${digits.slice(i - 3, i)}${out}`;
  return `${digits.slice(0, i)}${out}`;
}

/** `range` completes "It must be ...", e.g. '>= 0 && <= 2147483647', 'an integer'. */
export function outOfRange(name: string, range: string, received: unknown): RangeError {
  let shown: string;
  if (typeof received === 'number' && Number.isInteger(received) && Math.abs(received) > 2 ** 32) {
    shown = withSeparators(String(received));
  } else if (typeof received === 'bigint') {
    const abs = received < 0n ? -received : received;
    shown = `${abs > 2n ** 32n ? withSeparators(String(received)) : String(received)}n`;
  } else {
    shown = inspect(received);
  }
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** Use of an object after its close(). */
export function closedError(what: string): Error {
  return withCode(new Error(`${what} is closed`), 'ERR_AIO_CLOSED');
}

/** An operation not allowed in the object's current state (Node's ERR_INVALID_STATE). */
export function invalidState(what: string): Error {
  return withCode(new Error(`Invalid state: ${what}`), 'ERR_INVALID_STATE');
}

/** A system error as Node reports one: `EBADF: bad file descriptor, close`. `errno` > 0. */
export function errnoException(errno: number, syscall: string): NodeJS.ErrnoException {
  const uv = -Math.abs(errno);
  const [code, text] = getSystemErrorMap().get(uv) ?? [getSystemErrorName(uv), 'unknown error'];
  const error = withCode(new Error(`${code}: ${text}, ${syscall}`), code) as NodeJS.ErrnoException;
  error.errno = uv;
  error.syscall = syscall;
  return error;
}

/** An argument of the right type with a wrong value (Node's ERR_INVALID_ARG_VALUE). */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The ${kind} '${name}' ${reason}. Received ${inspect(value, { depth: 0 })}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** A user function returned what cannot be used (Node's ERR_INVALID_RETURN_VALUE). */
export function invalidReturnValue(what: string, reason: string): TypeError {
  return withCode(new TypeError(`${what} ${reason}`), 'ERR_INVALID_RETURN_VALUE');
}

/** Node's own AbortError shape: name 'AbortError', code 'ABORT_ERR', the signal's reason as cause. */
class AbortError extends Error {
  override get name(): string {
    return 'AbortError';
  }
}

/** An operation given up because its AbortSignal fired. */
export function abortError(reason?: unknown): Error {
  return withCode(new AbortError('The operation was aborted', reason === undefined ? undefined : { cause: reason }), 'ABORT_ERR');
}

/** An operation that did not finish within its `timeout` option. */
export function timeoutError(what: string, ms: number): Error {
  return withCode(new Error(`${what} timed out after ${ms} ms`), 'ERR_AIO_TIMEOUT');
}
