// The tools' harness addon (aio_notify_tools, native/tools), loaded once per thread, with the
// types of what it exports. The only module that talks to it (DESIGN.md, "Layers"); it is loaded
// only when the tools are, never by require('aio-notify'). Same loading policy as the core addon.
import { loadAddon } from '../sys/addon-loader';

/** Where the two harness threads run: 0 unpinned, 1 two distinct CPUs, 2 the same CPU. */
export type PinCode = 0 | 1 | 2;

export interface NativeWakeResult {
  /** One sleeping one-way latency per completed round, in ns. */
  latencies: Float64Array;
  /** Per sample, the sender's CPU just before its timestamp (-1: unknown). */
  sendCpus: Int32Array;
  /** Per sample, the waiter's CPU just after its timestamp (-1: unknown). */
  wakeCpus: Int32Array;
  late: number;
  lost: number;
  spurious: number;
  elapsedNs: number;
  pinned: boolean;
  cpus: [number, number];
  aborted: boolean;
}

export interface NativeLitmusResult {
  variant: number;
  iterations: number;
  bothZero: number;
  onlyR0Zero: number;
  onlyR1Zero: number;
  neitherZero: number;
  elapsedNs: number;
  pinned: boolean;
  cpus: [number, number];
}

export interface NativeRaceResult {
  variant: number;
  races: number;
  sleeps: number;
  kicks: number;
  lost: number;
  late: number;
  spurious: number;
  /** Races whose two sides ended their store-then-load window within 2 µs of each other (the threads ran at
   * the same time): only these can show store buffering, so a control's budget counts them. */
  together: number;
  elapsedNs: number;
  /** ns from the start to the first lost wake-up, -1 if none. */
  firstLostNs: number;
  pinned: boolean;
  cpus: [number, number];
}

export interface HarnessBinding {
  /** sender: 0 spins between kicks (default), 1 behaves as the bench's JavaScript senders and receivers. */
  wakeLatency(path: 0 | 1, samples: number, gapNs: number, boundNs: number, maxNs: number, pin: PinCode, sender?: 0 | 1): Promise<NativeWakeResult>;
  /** sched_getcpu() of the calling thread, -1 if it failed. */
  getcpu(): number;
  litmusSB(variant: 0 | 1 | 2, iterations: number, maxNs: number, pin: PinCode): Promise<NativeLitmusResult>;
  protocolRace(
    variant: 0 | 1,
    races: number,
    boundNs: number,
    maxNs: number,
    stopAfterLost: boolean,
    pin: PinCode,
  ): Promise<NativeRaceResult>;
}

export const harness: HarnessBinding = loadAddon<HarnessBinding>('aio_notify_tools');
