// Process and thread identity, sending signals, and the calling thread's signal mask.
// Signals are given by name ('SIGIO') or number; sets come back as numbers.
import { native } from './native';
import { outOfRange } from '../errors';
import { INT32_MAX, SignalLike, validateInteger, validateSignal, validateSignals, validateUint64 } from '../validate';

export const { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, SIGRTMIN, SIGRTMAX } = native.signalConstants;

export type SigmaskHow = 'SIG_BLOCK' | 'SIG_UNBLOCK' | 'SIG_SETMASK';

export function getpid(): number {
  return native.getpid();
}

/** The kernel thread id of the calling thread (the main thread's equals getpid()). */
export function gettid(): number {
  return native.gettid();
}

/** kill(2): a process-directed signal (0 only checks that `pid` exists). */
export function kill(pid: number, signal: SignalLike): void {
  native.kill(validateInteger(pid, 'pid', -INT32_MAX, INT32_MAX), validateSignal(signal, 'signal', true));
}

/**
 * sigqueue(3): a process-directed signal that carries `value` (0..2^64-1): the relay's
 * record reports code SI_QUEUE and the value.
 */
export function sigqueue(pid: number, signal: SignalLike, value: bigint): void {
  native.sigqueue(
    validateInteger(pid, 'pid', 1, INT32_MAX),
    validateSignal(signal, 'signal', true),
    validateUint64(value, 'value', 2n ** 64n - 1n),
  );
}

/** tgkill(2): a signal directed at thread `tid` of thread group `tgid`. */
export function tgkill(tgid: number, tid: number, signal: SignalLike): void {
  native.tgkill(
    validateInteger(tgid, 'tgid', 1, INT32_MAX),
    validateInteger(tid, 'tid', 1, INT32_MAX),
    validateSignal(signal, 'signal', true),
  );
}

const HOW: Readonly<Record<SigmaskHow, number>> = { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK };

/**
 * pthread_sigmask(3) for the calling thread only: blocks, unblocks or sets `signals`,
 * and returns the previous mask.
 */
export function sigmask(how: SigmaskHow, signals: SignalLike[]): number[] {
  // Own keys only: 'constructor' or 'toString' must not find Object.prototype's.
  const h = typeof how === 'string' && Object.hasOwn(HOW, how) ? HOW[how] : undefined;
  if (h === undefined) {
    throw outOfRange('how', "one of 'SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'", how);
  }
  return native.sigmask(h, validateSignals(signals, 'signals'));
}

/** sigpending(2): signals pending for the calling thread or the process. */
export function sigpending(): number[] {
  return native.sigpending();
}
