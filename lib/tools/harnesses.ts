// The native harnesses with their arguments checked (Node-style errors) and defaults.
import { outOfRange } from '../errors';
import { validateBoolean, validateInteger, validateOptions } from '../validate';
import { harness, NativeLitmusResult, NativeRaceResult, NativeWakeResult, PinCode } from './native';

/** 'split': two distinct CPUs (default), 'same': one CPU, 'none': wherever the scheduler likes. */
export type PinMode = 'split' | 'same' | 'none';

const PIN: Record<PinMode, PinCode> = { none: 0, split: 1, same: 2 };

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw outOfRange(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

function pinOf(value: unknown): PinCode {
  return PIN[value === undefined ? 'split' : oneOf(value, 'options.pin', ['split', 'same', 'none'] as const)];
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  return value === undefined ? fallback : validateInteger(value, name, min, max);
}

export type WakePath = 'eventfd' | 'sigio';

/**
 * How the native threads behave between kicks. 'spin': the sender spins until the waiter
 * announces its sleep, the waiter's ppoll has a timeout of boundMs. 'js': both do what
 * the bench's JavaScript paths do, system call for system call: the sender sleeps in timed
 * futex waits as Atomics.wait does (polling for the announced sleep every 20 µs, the gap,
 * and after the kick until the waiter notifies it), the waiter sleeps in ppoll with no
 * timeout, notifies the sender, then reads the eventfd once (native/tools/wake_core.cc).
 */
export type WakeSender = 'spin' | 'js';

export interface NativeWakeOptions {
  /** Samples to take (default 10000). */
  samples?: number;
  /** µs the sender waits after the waiter announced its sleep (default 50). */
  gapUs?: number;
  /** A wake later than this (ms) is classified late (default 2). */
  boundMs?: number;
  /** Stop after this long even with fewer samples (default 60000 ms). */
  maxMs?: number;
  pin?: PinMode;
  /** Default 'spin'. */
  sender?: WakeSender;
}

/** Sleeping one-way wake-up latency between two C++ threads (native/tools/harness.cc). */
export function nativeWake(path: WakePath, options?: NativeWakeOptions): Promise<NativeWakeResult> {
  const p = oneOf(path, 'path', ['eventfd', 'sigio'] as const);
  const o = validateOptions<NativeWakeOptions>(options);
  const samples = int(o.samples, 'options.samples', 10000, 1, 10_000_000);
  const gapUs = int(o.gapUs, 'options.gapUs', 50, 0, 1_000_000);
  const boundMs = int(o.boundMs, 'options.boundMs', 2, 1, 60_000);
  const maxMs = int(o.maxMs, 'options.maxMs', 60_000, 1, 3_600_000);
  const sender = o.sender === undefined ? 'spin' : oneOf(o.sender, 'options.sender', ['spin', 'js'] as const);
  return harness.wakeLatency(p === 'eventfd' ? 0 : 1, samples, gapUs * 1e3, boundMs * 1e6, maxMs * 1e6, pinOf(o.pin), sender === 'js' ? 1 : 0);
}

/** The CPU the calling thread runs on now (sched_getcpu()), -1 if unknown. */
export function currentCpu(): number {
  return harness.getcpu();
}

export type LitmusVariant = 'none' | 'one-sided' | 'both';

export interface LitmusOptions {
  /** Iterations (default 1e6). */
  iterations?: number;
  /** Stop after this long (default 10000 ms). */
  maxMs?: number;
  pin?: PinMode;
}

/** The store-buffering litmus test (native/tools/litmus.cc). */
export function litmus(variant: LitmusVariant, options?: LitmusOptions): Promise<NativeLitmusResult> {
  const v = oneOf(variant, 'variant', ['none', 'one-sided', 'both'] as const);
  const o = validateOptions<LitmusOptions>(options);
  const iterations = int(o.iterations, 'options.iterations', 1_000_000, 1, 1e12);
  const maxMs = int(o.maxMs, 'options.maxMs', 10_000, 1, 3_600_000);
  return harness.litmusSB(v === 'none' ? 0 : v === 'one-sided' ? 1 : 2, iterations, maxMs * 1e6, pinOf(o.pin));
}

export type RaceVariant = 'nobarrier' | 'correct';

export interface NativeRaceOptions {
  /** Races (default 1e6). */
  races?: number;
  /** A sleep longer than this (ms) is classified (default 2). */
  boundMs?: number;
  /** Stop after this long (default 10000 ms). */
  maxMs?: number;
  /** Stop at the first lost wake-up (default false). */
  stopAfterLost?: boolean;
  pin?: PinMode;
}

/** The notify/poll protocol racing over eventfd + ppoll (native/tools/protocol.cc). */
export function nativeRace(variant: RaceVariant, options?: NativeRaceOptions): Promise<NativeRaceResult> {
  const v = oneOf(variant, 'variant', ['nobarrier', 'correct'] as const);
  const o = validateOptions<NativeRaceOptions>(options);
  const races = int(o.races, 'options.races', 1_000_000, 1, 1e12);
  const boundMs = int(o.boundMs, 'options.boundMs', 2, 1, 60_000);
  const maxMs = int(o.maxMs, 'options.maxMs', 10_000, 1, 3_600_000);
  const stop = o.stopAfterLost === undefined ? false : validateBoolean(o.stopAfterLost, 'options.stopAfterLost');
  return harness.protocolRace(v === 'correct' ? 1 : 0, races, boundMs * 1e6, maxMs * 1e6, stop, pinOf(o.pin));
}
