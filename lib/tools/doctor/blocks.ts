// Report blocks built from raw measurements: latency distributions and event rates.
import { WakeMeasurement } from '../measure/wake-result';
import { logHistogram, rate, summarize } from '../stats';
import { LatencyBlock, RateBlock } from './types';

const us = (ns: number): number => Math.round(ns / 10) / 100;

export function latencyBlock(path: string, side: 'native' | 'js', m: WakeMeasurement, boundMs: number): LatencyBlock {
  const s = summarize(m.latencies);
  return {
    path,
    side,
    n: s.n,
    min: us(s.min),
    mean: us(s.mean),
    p50: us(s.p50),
    p90: us(s.p90),
    p99: us(s.p99),
    p999: us(s.p999),
    max: us(s.max),
    p50Interval: s.p50Interval ? [us(s.p50Interval.lo), us(s.p50Interval.hi)] : null,
    p99Interval: s.p99Interval ? [us(s.p99Interval.lo), us(s.p99Interval.hi)] : null,
    late: m.late,
    lost: m.lost,
    spurious: m.spurious,
    boundMs,
    elapsedMs: Math.round(m.elapsedNs / 1e6),
    truncated: m.truncated,
    histogram: logHistogram(m.latencies).map((b) => ({ fromUs: us(b.from), toUs: us(b.to), count: b.count })),
  };
}

export function rateBlock(k: number, n: number): RateBlock {
  const r = rate(k, n);
  return { k, n, rate: r.rate, lo: r.lo, hi: r.hi, perMillion: r.rate * 1e6, perMillionHi: r.hi * 1e6 };
}

/** "p50 23.1 µs, p99 410 µs" and friends. */
export function fmtUs(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (v >= 10000) return `${(v / 1000).toFixed(1)} ms`;
  if (v >= 100) return `${v.toFixed(0)} µs`;
  return `${v.toFixed(1)} µs`;
}

export function fmtRate(r: RateBlock): string {
  if (r.k === 0) return `0 in ${r.n.toLocaleString('en-US')} (< ${r.perMillionHi.toPrecision(2)} per 10^6 at 95%)`;
  return `${r.k} in ${r.n.toLocaleString('en-US')} = ${r.perMillion.toPrecision(3)} per 10^6 (95% ${(r.lo * 1e6).toPrecision(2)}-${r.perMillionHi.toPrecision(2)})`;
}
