// Argument checks shared by every layer. Each returns the checked value, converted to
// what the next layer takes, or throws the error Node would throw for the same mistake.
import { constants } from 'node:os';
import { types } from 'node:util';
import { invalidArgType, outOfRange } from './errors';

export const INT32_MAX = 2 ** 31 - 1;

export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

export function validateFd(value: unknown, name = 'fd'): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

export function validateFunction<F extends (...args: never[]) => unknown>(value: unknown, name: string): F {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as F;
}

/** An options bag: undefined gives {}, anything but a plain object is rejected. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as Partial<T>;
}

/** A non-negative integer that fits 64 bits, given as a number or a bigint, as a bigint. */
export function validateUint64(value: unknown, name: string, max: bigint): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
    big = BigInt(value);
  } else throw invalidArgType(name, 'one of type number or bigint', value);
  if (big < 0n || big > max) throw outOfRange(name, `>= 0 && <= ${max}`, value);
  return big;
}

/** A TypedArray or DataView: a span of bytes the addon reads or writes in place. */
export function validateBytes(value: unknown, name: string): ArrayBufferView {
  if (!types.isArrayBufferView(value)) {
    throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
  }
  return value;
}

export type SignalLike = string | number;

const signalNumbers: Readonly<Record<string, number>> = constants.signals;
const SIGNAL_MAX = 64; // SIGRTMAX on Linux, x86_64 and aarch64 alike

/** A signal by name ('SIGIO') or number (1..64; 0 with allowZero, kill's probe). */
export function validateSignal(value: unknown, name = 'signal', allowZero = false): number {
  if (typeof value === 'string') {
    // Own keys only: 'constructor' must not find Object.prototype's.
    const signo = Object.hasOwn(signalNumbers, value) ? signalNumbers[value] : undefined;
    if (signo === undefined) throw outOfRange(name, 'a known signal name such as SIGIO', value);
    return signo;
  }
  if (typeof value === 'number') return validateInteger(value, name, allowZero ? 0 : 1, SIGNAL_MAX);
  throw invalidArgType(name, 'one of type string or number', value);
}

export function validateSignals(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value.map((s, i) => validateSignal(s, `${name}[${i}]`));
}

/** The name of a signal number ('SIGIO'), or 'SIG<n>' for real-time signals. */
export function signalName(signo: number): string {
  for (const [n, v] of Object.entries(signalNumbers)) if (v === signo) return n;
  return `SIG${signo}`;
}
