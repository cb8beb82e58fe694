// Generated from docs/doctor-report.schema.json by `npm run schema:types`: do not edit.
// The schema is the one source of the doctor report's shape; lib/tools/doctor/types.ts names these.

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
/**
 * details of wake-eventfd and wake-sigio when they ran (verdict pass, warn or fail)
 *
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "wakeDetails".
 */
export interface WakeDetails {
  native: Latency;
  js: Latency;
  jsHandler?: Latency;
  roads?: {
    [k: string]: "sigwait" | "handler";
  };
  sameCpu?: Latency;
  crossCpu?: Latency;
  pin: "none";
  rounds: number;
  jsOverhead?: {
    p50Ratio: number | null;
    p99Ratio: number | null;
    p50DeltaUs: number | null;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
/**
 * details of aio-race when it ran
 *
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "raceDetails".
 */
export interface RaceDetails {
  races: number;
  sleeps: number;
  kicks: number;
  lost: Rate;
  late: Rate;
  watchdogAlarms: number;
  boundMs: number;
  elapsedMs: number;
  truncated: boolean;
}
/**
 * details of litmus when it ran
 *
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "litmusDetails".
 */
export interface LitmusDetails {
  /**
   * @minItems 3
   * @maxItems 3
   */
  sb: [
    {
      variant: "none" | "one-sided" | "both";
      iterations: number;
      reordered: Rate;
      pinned: boolean;
      /**
       * @minItems 2
       * @maxItems 2
       */
      cpus: [number, number];
      elapsedMs: number;
    },
    {
      variant: "none" | "one-sided" | "both";
      iterations: number;
      reordered: Rate;
      pinned: boolean;
      /**
       * @minItems 2
       * @maxItems 2
       */
      cpus: [number, number];
      elapsedMs: number;
    },
    {
      variant: "none" | "one-sided" | "both";
      iterations: number;
      reordered: Rate;
      pinned: boolean;
      /**
       * @minItems 2
       * @maxItems 2
       */
      cpus: [number, number];
      elapsedMs: number;
    }
  ];
  control: {
    races: number;
    /**
     * Races whose two threads ended their store-then-load windows within 2 µs of each other (ran at the same time): only these can show the reordering.
     */
    together: number;
    sleeps: number;
    lost: number;
    late: number;
    firstLostMs: number | null;
    elapsedMs: number;
    lostRate: Rate;
    required: boolean;
  };
  correct: {
    races: number;
    sleeps: number;
    lost: number;
    late: number;
    elapsedMs: number;
    lostRate: Rate;
  };
}
/**
 * details of replays when it ran
 *
 * This interface was referenced by `DoctorReport`'s JSON-Schema
 * via the `definition` "replaysDetails".
 */
export interface ReplaysDetails {
  stallMs: number;
  scenarios: {
    id: string;
    commit: string;
    year: number;
    title: string;
    kind: "bug" | "control";
    expected: {
      verdict: "lost" | "late";
      cause: string;
    };
    historical: null | {
      pass: boolean;
      verdict: "ok" | "lost" | "late";
      cause: NullableString;
      pending: ("notified" | "bottom-half" | "fd-ready" | "fd-unwatched" | "app")[];
      reason: string;
      durationMs: number;
    };
    fixed: {
      pass: boolean;
      verdict: "ok" | "lost" | "late";
      cause: NullableString;
      reason: string;
      durationMs: number;
    };
  }[];
}
