// The forced interleaving of a replay. QEMU's lost wake-ups each needed one thread to be
// at a particular point while another did something; a replay makes that happen every
// time instead of once in a million runs: actors wait for numbered steps of a shared
// counter and advance it, and "wait until thread X is asleep in ppoll" is read from
// /proc/<pid>/task/<tid>/syscall. The fixed protocol runs the very same schedule and must
// not hang: the schedule forces the timing, never the outcome.
import { taskStat, taskSyscall } from '../inspect/procfs';
import { kernelArch, syscallNumber } from '../inspect/syscalls';
import { R, ReplayMemory } from './memory';
import { ReplayShutdown } from './mini-aio';

const SLICE_MS = 20;

export class Schedule {
  readonly m: ReplayMemory;
  readonly timeoutMs: number;
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(m: ReplayMemory, timeoutMs = 20000) {
    this.m = m;
    this.timeoutMs = timeoutMs;
  }

  #check(started: number, what: string): void {
    if (this.m.get(R.SHUTDOWN)) throw new ReplayShutdown('replay shut down');
    if (Date.now() - started > this.timeoutMs) {
      this.m.set(R.ERROR, 1);
      throw new Error(`replay schedule: gave up waiting for ${what} after ${this.timeoutMs} ms`);
    }
  }

  /** Blocks this thread until the step counter reaches `n`. */
  await(n: number, what = `step ${n}`): void {
    const started = Date.now();
    for (;;) {
      const v = Atomics.load(this.m.r, R.STEP);
      if (v >= n) return;
      this.#check(started, what);
      Atomics.wait(this.m.r, R.STEP, v, SLICE_MS);
    }
  }

  /** Moves the step counter to `n` (never backwards) and wakes every waiter. */
  reach(n: number): void {
    for (;;) {
      const v = Atomics.load(this.m.r, R.STEP);
      if (v >= n || Atomics.compareExchange(this.m.r, R.STEP, v, n) === v) break;
    }
    Atomics.notify(this.m.r, R.STEP);
  }

  /** Sleeps `ms` (a futex wait: the thread really is off the CPU). */
  pause(ms: number): void {
    Atomics.wait(this.#sleeper, 0, 0, ms);
  }

  /** Blocks until `predicate` holds, checking every millisecond. */
  until(predicate: () => boolean, what: string): void {
    const started = Date.now();
    while (!predicate()) {
      this.#check(started, what);
      this.pause(1);
    }
  }

  /** Blocks until thread `tid` of this process is asleep (state S) in ppoll(2). */
  waitParked(tid: number, what = `thread ${tid} asleep in ppoll`): void {
    const ppollNr = syscallNumber(kernelArch(), 'ppoll');
    this.until(() => isParkedIn(process.pid, tid, ppollNr), what);
  }
}

/** Thread `tid` of `pid` sleeps in system call `nr` (false if /proc cannot tell). */
export function isParkedIn(pid: number, tid: number, nr: number | undefined): boolean {
  try {
    if (taskStat(pid, tid).state !== 'S') return false;
    const sc = taskSyscall(pid, tid);
    return sc.status === 'syscall' && sc.nr === nr;
  } catch {
    return false;
  }
}
