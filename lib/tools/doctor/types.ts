// The doctor's report: the shape `--json` prints (docs/doctor-report.schema.json,
// documented in docs/doctor-json.md). Bump DOCTOR_SCHEMA_VERSION on any incompatible change.
import type { EnvironmentReport } from '../environment';

export const DOCTOR_SCHEMA_VERSION = 1;

/** pass; warn (worth a look, exit code unchanged); fail (a lost wake-up or a failed control); skip; error (could not run). */
export type CheckVerdict = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export interface HistogramBlock {
  fromUs: number;
  toUs: number;
  count: number;
}

/** A sleeping one-way latency distribution, in µs, with its classification counts. */
export interface LatencyBlock {
  path: string;
  side: 'native' | 'js';
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** 95% distribution-free intervals; null with too few samples. */
  p50Interval: [number, number] | null;
  p99Interval: [number, number] | null;
  late: number;
  lost: number;
  spurious: number | null;
  boundMs: number;
  elapsedMs: number;
  truncated: boolean;
  histogram: HistogramBlock[];
}

/** k events in n trials: the rate, its 95% Wilson interval, and both per 10^6. */
export interface RateBlock {
  k: number;
  n: number;
  rate: number;
  lo: number;
  hi: number;
  perMillion: number;
  perMillionHi: number;
}

export interface CheckResult {
  id: 'wake-eventfd' | 'wake-sigio' | 'aio-race' | 'litmus' | 'replays';
  number: number;
  title: string;
  verdict: CheckVerdict;
  /** The verdict line. */
  summary: string;
  notes: string[];
  durationMs: number;
  details: Record<string, unknown>;
}

export type DoctorMode = 'quick' | 'full';

export interface DoctorReport {
  schemaVersion: number;
  tool: { name: string; version: string };
  mode: DoctorMode;
  startedAt: string;
  durationMs: number;
  environment: EnvironmentReport;
  checks: CheckResult[];
  /** healthy: no fail and no error; unhealthy: a fail; error: a check could not run. */
  verdict: 'healthy' | 'unhealthy' | 'error';
  /** 0 healthy, 1 a lost wake-up or a failed control, 2 a check could not run. */
  exitCode: 0 | 1 | 2;
}

export type Progress = (label: string, fraction: number) => void;
