// The cost of a poll round that runs one bottom half, against the number of live bottom
// halves in the context (QEMU 5.0's 8c6b0356b5 made it O(scheduled)): the others exist but
// are not scheduled, so a round must cost the same with 1 or 100,000 of them.
import { AioContext } from '../../aio/context';
import type { BhRow } from './report';
import { interleavedTimings, median } from './timing';

export const BH_LIVE = [1, 1_000, 100_000];

export function measureBhRoundCost(o: { iterations: number; repeats: number }): BhRow[] {
  const contexts: AioContext[] = [];
  try {
    const loops = BH_LIVE.map((live) => {
      const ctx = new AioContext({ sigioKick: false, name: `bench-bh-${live}` });
      contexts.push(ctx);
      for (let i = 1; i < live; i++) ctx.bhNew(() => {});
      const bh = ctx.bhNew(() => {});
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          bh.schedule();
          ctx.poll(false);
        }
      };
    });
    const timings = interleavedTimings(loops, o.iterations, o.repeats);
    return BH_LIVE.map((live, i) => ({ live, nsPerRound: median(timings[i]) }));
  } finally {
    for (const ctx of contexts) ctx.close();
  }
}
