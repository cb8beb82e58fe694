// The statistics of the tools' measurements (lib/tools/stats): quantiles, intervals, histograms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logHistogram, quantile, quantileInterval, rate, sorted, summarize, zFor } from '../../lib/tools/stats';

test('quantiles interpolate; summaries and intervals bracket the truth', () => {
  const s = sorted([5, 1, 4, 2, 3]);
  assert.deepEqual(Array.from(s), [1, 2, 3, 4, 5]);
  assert.equal(quantile(s, 0.5), 3);
  assert.equal(quantile(s, 0.25), 2);
  assert.equal(quantile(s, 0.1), 1.4);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  const many = Array.from({ length: 10000 }, (_, i) => i + 1);
  const sum = summarize(many);
  assert.equal(sum.n, 10000);
  assert.equal(sum.min, 1);
  assert.equal(sum.max, 10000);
  assert.ok(Math.abs(sum.p50 - 5000.5) < 1e-9);
  assert.ok(sum.p50Interval && sum.p50Interval.lo < 5000 && sum.p50Interval.hi > 5001);
  assert.ok(sum.p99Interval && sum.p99Interval.lo <= sum.p99 && sum.p99Interval.hi >= sum.p99);
  assert.equal(quantileInterval([1, 2, 3], 0.99), null);
});

test('zFor and Wilson intervals match known values', () => {
  assert.ok(Math.abs(zFor(0.95) - 1.959964) < 1e-5);
  assert.ok(Math.abs(zFor(0.99) - 2.575829) < 1e-5);
  const zero = rate(0, 1000);
  assert.equal(zero.lo, 0);
  assert.ok(Math.abs(zero.hi - 0.003827) < 1e-5); // ~ z^2 / (n + z^2)
  const half = rate(50, 100);
  assert.ok(Math.abs(half.lo - 0.4038) < 1e-3 && Math.abs(half.hi - 0.5962) < 1e-3);
  assert.deepEqual(rate(0, 0), { k: 0, n: 0, rate: 0, lo: 0, hi: 1, level: 0.95 });
});

test('log histogram: every sample lands in one bin, bins ascend', () => {
  const values = [500, 1500, 3000, 3000, 90_000, 2_000_000];
  const bins = logHistogram(values);
  assert.equal(bins.reduce((n, b) => n + b.count, 0), values.length);
  for (let i = 1; i < bins.length; i++) assert.ok(bins[i].from >= bins[i - 1].from && bins[i].to > bins[i - 1].to);
  assert.deepEqual(logHistogram([]), []);
});
