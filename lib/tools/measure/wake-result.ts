// What every wake-up measurement returns, native or JavaScript.
export interface WakeMeasurement {
  /** Sleeping one-way latencies, ns. */
  latencies: Float64Array;
  /** Wakes that came after the bound (still samples). */
  late: number;
  /** Waits that timed out with no kick reaching the sleeper (or a kick never delivered). */
  lost: number;
  /** Wakes with nothing sent; null where the path cannot observe them. */
  spurious: number | null;
  elapsedNs: number;
  /** Stopped by its time limit before taking every sample. */
  truncated: boolean;
}

export interface MeasureProgress {
  (done: number, total: number): void;
}

/** A pause of the calling thread for `ms` (fractions allowed), off the CPU. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function pauseMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Measurements of one path taken in several rounds, as one. */
export function mergeMeasurements(parts: WakeMeasurement[]): WakeMeasurement {
  const total = parts.reduce((n, p) => n + p.latencies.length, 0);
  const latencies = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    latencies.set(p.latencies, at);
    at += p.latencies.length;
  }
  const spurious = parts.some((p) => p.spurious === null) ? null : parts.reduce((n, p) => n + (p.spurious ?? 0), 0);
  return {
    latencies,
    late: parts.reduce((n, p) => n + p.late, 0),
    lost: parts.reduce((n, p) => n + p.lost, 0),
    spurious,
    elapsedNs: parts.reduce((n, p) => n + p.elapsedNs, 0),
    truncated: parts.some((p) => p.truncated),
  };
}
