// Statistics for the doctor: percentiles with distribution-free confidence intervals,
// binomial rates with Wilson score intervals, and log-scale histograms.
// Latencies are in ns throughout; the report formats them.

/** A sorted copy (ascending) of `values`. */
export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The p-quantile (0..1) of ascending `s`, linearly interpolated (Hyndman-Fan type 7). */
export function quantile(s: ArrayLike<number>, p: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(Math.max(p, 0), 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** Standard normal quantile for a two-sided confidence level (0.95 -> 1.96). */
export function zFor(level: number): number {
  // Acklam's rational approximation of the inverse normal CDF (|error| < 1.2e-9).
  const p = 1 - (1 - level) / 2;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * A distribution-free confidence interval for the p-quantile of ascending `s`: the order
 * statistics at ranks n*p -/+ z*sqrt(n*p*(1-p)) (normal approximation of the binomial).
 * Null when there are too few samples for the interval to be bounded on both sides.
 */
export function quantileInterval(s: ArrayLike<number>, p: number, level = 0.95): Interval | null {
  const n = s.length;
  const spread = zFor(level) * Math.sqrt(n * p * (1 - p));
  const lo = Math.floor(n * p - spread);
  const hi = Math.ceil(n * p + spread);
  if (lo < 0 || hi > n - 1) return null;
  return { lo: s[lo], hi: s[hi] };
}

export interface LatencySummary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** 95% interval of the median, or null with too few samples. */
  p50Interval: Interval | null;
  /** 95% interval of the 99th percentile, or null with too few samples. */
  p99Interval: Interval | null;
}

/** Percentiles of a latency sample (ns). */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const s = sorted(values);
  const n = s.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return {
    n,
    min: n ? s[0] : NaN,
    mean: n ? sum / n : NaN,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    p999: quantile(s, 0.999),
    max: n ? s[n - 1] : NaN,
    p50Interval: quantileInterval(s, 0.5),
    p99Interval: quantileInterval(s, 0.99),
  };
}

export interface Rate {
  /** Events. */
  k: number;
  /** Trials. */
  n: number;
  /** k / n (0 when n is 0). */
  rate: number;
  /** Wilson score interval of the rate at `level`. */
  lo: number;
  hi: number;
  level: number;
}

/**
 * k events in n trials as a rate with its Wilson score interval. Unlike the normal
 * approximation it stays meaningful at k = 0: the upper bound is then about z^2/n, the
 * "rule of three" at 95%.
 */
export function rate(k: number, n: number, level = 0.95): Rate {
  if (n <= 0) return { k, n, rate: 0, lo: 0, hi: 1, level };
  const z = zFor(level);
  const phat = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (phat + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
  const lo = k === 0 ? 0 : Math.max(0, centre - half);
  const hi = k === n ? 1 : Math.min(1, centre + half);
  return { k, n, rate: phat, lo, hi, level };
}

export interface HistogramBin {
  /** Lower edge, inclusive (ns). */
  from: number;
  /** Upper edge, exclusive (ns). */
  to: number;
  count: number;
}

/**
 * Log-scale histogram: bins of `perOctave` per doubling between the smallest and largest
 * value (at least 1 µs wide at the bottom), empty bins at both ends trimmed.
 */
export function logHistogram(values: ArrayLike<number>, perOctave = 2): HistogramBin[] {
  const s = sorted(values);
  if (s.length === 0) return [];
  const floor = 1000;
  const first = Math.floor(Math.log2(Math.max(s[0], floor) / floor) * perOctave);
  const last = Math.floor(Math.log2(Math.max(s[s.length - 1], floor) / floor) * perOctave);
  const bins: HistogramBin[] = [];
  for (let b = first; b <= last; b++) {
    bins.push({ from: b === first ? 0 : floor * 2 ** (b / perOctave), to: floor * 2 ** ((b + 1) / perOctave), count: 0 });
  }
  for (let i = 0; i < s.length; i++) {
    const b = Math.floor(Math.log2(Math.max(s[i], floor) / floor) * perOctave) - first;
    bins[Math.min(Math.max(b, 0), bins.length - 1)].count++;
  }
  return bins;
}
