// Small timing helpers: ns per operation of a loop, medians of repeats taken in a rotating order.
import { quantile, sorted } from '../stats';

export function median(values: readonly number[]): number {
  return quantile(sorted(values), 0.5);
}

/** ns per iteration of `loop(n)` (wall clock, one call). */
export function nsPerOp(loop: (n: number) => unknown, n: number): number {
  const t0 = process.hrtime.bigint();
  loop(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * Times every loop `repeats` times, the order rotating each repeat, after `warmup`
 * unrecorded repeats (JIT). Returns each loop's figures in the order taken.
 */
export function interleavedTimings(loops: Array<(n: number) => unknown>, n: number, repeats: number, warmup = 2): number[][] {
  const out = loops.map(() => [] as number[]);
  for (let r = -warmup; r < repeats; r++) {
    for (let j = 0; j < loops.length; j++) {
      const at = (j + Math.max(r, 0)) % loops.length;
      const ns = nsPerOp(loops[at], n);
      if (r >= 0) out[at].push(ns);
    }
  }
  return out;
}
