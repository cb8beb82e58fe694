// The shape of one bench run: what --json prints and what the table is made from.
// Latencies and costs are in ns; every ratio is computed within the run.
import type { EnvironmentReport } from '../environment';
import type { PinMode, WakeSender } from '../harnesses';
import type { IoReport } from './io';
import type { BenchConfig } from './options';

/** The samples of one placement class of a wake-up row. */
export interface PlacementFigures {
  n: number;
  /** n over the row's samples whose two CPUs are known (NaN, null in JSON, when none is). */
  share: number;
  /** NaN (null in JSON) when n is 0. */
  p50Ns: number;
  p50IntervalNs: { lo: number; hi: number } | null;
}

export interface WakeRow {
  id: string;
  label: string;
  /** Where the native threads are bound; 'none' for the JavaScript paths (never pinned). */
  pin: PinMode;
  /** How a native sender behaves between kicks ('js': as the JavaScript paths do); null for the JavaScript paths. */
  sender: WakeSender | null;
  n: number;
  p50Ns: number;
  p90Ns: number;
  p99Ns: number;
  maxNs: number;
  /** 95% interval of the median, null with too few samples. */
  p50IntervalNs: { lo: number; hi: number } | null;
  /** Waits the method classified as lost (only paths that can tell; else null). */
  lost: number | null;
  /**
   * The samples by where the two threads ran: the sender's CPU just before its timestamp
   * equal to the receiver's just after its own (sameCpu), or not (crossCpu); unknown
   * counts samples where sched_getcpu() failed.
   */
  placement: { sameCpu: PlacementFigures; crossCpu: PlacementFigures; unknown: number };
}

export interface CostRow {
  id: string;
  label: string;
  /** Median over the repeats. */
  nsPerOp: number;
  /** Every repeat's figure, in the order taken. */
  repeatsNs: number[];
}

export interface CoalesceRow {
  notifiers: number;
  durationMs: number;
  notifies: number;
  notifiesPerSec: number;
  /** eventfd writes by notify() during the run. */
  kicks: number;
  /**
   * poll(true) calls of the receiving IOThread during the run. Nothing else is due there,
   * so each one announced a possible sleep (NOTIFY_ME += 2): the polls a kick can target.
   */
  blockingPolls: number;
  /** eventfd writes per blocking poll: the coalescing target, <= 1. */
  kicksPerBlockingPoll: number;
  /** Blocking polls that went on to sleep (ctx.stats.sleeps: timeout still != 0 after checking NOTIFIED). */
  sleeps: number;
  kicksPerSleep: number;
}

export interface PollRow {
  fds: number;
  /** How the context waits at this size. */
  backend: 'ppoll' | 'epoll';
  idleNsPerOp: number;
  readyNsPerOp: number;
  /** Why the size could not be measured (e.g. EMFILE), else null. */
  skipped: string | null;
}

export interface BhRow {
  /** Live bottom halves in the context (one of them scheduled each round). */
  live: number;
  /** ns per bh.schedule() + poll(false). */
  nsPerRound: number;
}

export interface MemoryRow {
  id: string;
  label: string;
  cycles: number;
  heapUsedBefore: number;
  heapUsedAfter: number;
  /** heapUsed after minus before, each after a forced GC. */
  heapDelta: number;
  rssBefore: number;
  rssAfter: number;
  rssGrowth: number;
  /** Bytes allocated per cycle (heapUsed growth between forced GCs over short chunks; median). */
  allocBytesPerCycle: number;
}

export interface ImportRow {
  id: 'node' | 'library' | 'tools';
  /** The command, as a shell would run it. */
  label: string;
  /** Wall ms of the whole process, median of the runs. */
  medianMs: number;
  /** Median over the rounds of this run minus bare Node's in the same round (0 for bare Node). */
  overNodeMs: number;
  runsMs: number[];
}

export interface TargetLine {
  id: string;
  label: string;
  /** The measured ratio or figure. */
  measured: number;
  /** The target: measured must be <= limit. */
  limit: number;
  unit: string;
  pass: boolean;
  /** What the figure is made of, e.g. "41.2 µs / 35.0 µs". */
  detail: string;
}

export interface BenchReport {
  tool: 'aio-notify bench';
  version: 1;
  quick: boolean;
  startedAt: string;
  elapsedMs: number;
  command: string;
  environment: EnvironmentReport;
  /** os.loadavg() when the run started and when it ended: other load skews every figure. */
  loadAverage: { start: number[]; end: number[] };
  config: BenchConfig;
  wake: { gapUs: number; rounds: number; samplesPerRound: number; nativePin: string; rows: WakeRow[] };
  fastPath: { iterations: number; rows: CostRow[] };
  coalesce: { rows: CoalesceRow[] };
  poll: { iterations: number; epollThreshold: number; rows: PollRow[] };
  bottomHalves: { iterations: number; rows: BhRow[] };
  memory: { rows: MemoryRow[] };
  /** IOThread calls and the byte channel, vs MessagePort (lib/tools/bench/io.ts). */
  io?: IoReport;
  importCost: { runs: number; rows: ImportRow[] };
  targets: TargetLine[];
}
