// Generated from docs/doctor-report.schema.json by `npm run schema:types`: do not edit.
// The schema is the one source of the doctor report's shape; lib/diagnosis/doctor/types.ts names these.

/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "nullableString".
 */
export type NullableString = string | null;
/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "check".
 */
export type Check = {
  id: "wake-eventfd" | "wake-sigio" | "aio-race" | "litmus" | "replays";
  number: number;
  title: string;
  verdict: "pass" | "warn" | "fail" | "skip" | "error";
  summary: string;
  notes: string[];
  durationMs: number;
  details: {
    [k: string]: unknown;
  };
};
/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "interval".
 */
export type Interval = null | [number, number];

/**
 * What `aio-notify doctor --json` prints. See docs/doctor-json.md.
 */
export interface DoctorReport {
  schemaVersion: 1;
  tool: {
    name: "aio-notify";
    version: string;
  };
  mode: "quick" | "full";
  startedAt: string;
  durationMs: number;
  environment: Environment;
  checks: Check[];
  verdict: "healthy" | "unhealthy" | "error";
  exitCode: 0 | 1 | 2;
}
/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "environment".
 */
export interface Environment {
  arch: string;
  machine: string;
  kernel: {
    release: string;
    version: string;
  };
  cpuModel: string;
  cores: {
    online: number;
    available: number;
  };
  hypervisor: {
    present: boolean;
    vendor: NullableString;
    source: NullableString;
  };
  emulation: NullableString;
  sanitizer: NullableString;
  cpuidle: {
    driver: NullableString;
    governor: NullableString;
  };
  haltPoll: {
    [k: string]: string;
  };
  node: string;
  v8: string;
  addon: {
    version: string;
    napi: NullableString;
  };
  pid: number;
}
/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "latency".
 */
export interface Latency {
  path: string;
  side: "native" | "js";
  n: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  p50Interval: Interval;
  p99Interval: Interval;
  late: number;
  lost: number;
  spurious: number | null;
  boundMs: number;
  elapsedMs: number;
  truncated: boolean;
  histogram: {
    fromUs: number;
    toUs: number;
    count: number;
  }[];
}
/**
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "rate".
 */
export interface Rate {
  k: number;
  n: number;
  rate: number;
  lo: number;
  hi: number;
  perMillion: number;
  perMillionHi: number;
}
