// The memory check, run in a child `node --expose-gc`: heap and RSS before and after
// `cycles` notify/poll cycles on one context, and the bytes allocated per cycle.
// Prints one JSON line (MemoryRow[]) on stdout.
import { AioContext } from '../../aio/context';
import type { MemoryRow } from './report';
import { median } from './timing';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory-child needs node --expose-gc');
const collect = (): void => {
  gc();
  gc();
};

const cycles = Number(process.argv[2] ?? 1_000_000);
const ctx = new AioContext({ sigioKick: false, name: 'bench-memory' });
const bh = ctx.bhNew(() => {});

const kinds: Array<[id: string, label: string, cycle: () => void]> = [
  [
    'notify-poll',
    'notify() + poll(true) (notified: no sleep)',
    () => {
      ctx.notify();
      ctx.poll(true);
    },
  ],
  [
    'bh-poll',
    'bh.schedule() + poll(true) (runs the bottom half)',
    () => {
      bh.schedule();
      ctx.poll(true);
    },
  ],
];

function run(cycle: () => void, n: number): void {
  for (let i = 0; i < n; i++) cycle();
}

/** Median heapUsed growth over a chunk of `n` cycles that starts right after forced GCs. */
function chunkGrowth(cycle: () => void, n: number): number {
  const figures: number[] = [];
  for (let k = 0; k < 31; k++) {
    collect();
    const h0 = process.memoryUsage().heapUsed;
    run(cycle, n);
    const h1 = process.memoryUsage().heapUsed;
    figures.push(h1 - h0);
  }
  return median(figures);
}

/**
 * Bytes allocated per cycle: heapUsed growth over 1000 cycles (short enough that no
 * scavenge runs; fewer for a tiny run), less that of an empty chunk
 * (process.memoryUsage() allocates its own result), per cycle.
 */
function allocPerCycle(cycle: () => void): number {
  const chunk = Math.max(100, Math.min(1000, Math.floor(cycles / 20)));
  const base = chunkGrowth(() => {}, chunk);
  return Math.max(0, (chunkGrowth(cycle, chunk) - base) / chunk);
}

const rows: MemoryRow[] = [];
for (const [id, label, cycle] of kinds) {
  run(cycle, Math.min(cycles, 20_000)); // warm-up: JIT, pools
  collect();
  const before = process.memoryUsage();
  run(cycle, cycles);
  collect();
  const after = process.memoryUsage();
  rows.push({
    id,
    label,
    cycles,
    heapUsedBefore: before.heapUsed,
    heapUsedAfter: after.heapUsed,
    heapDelta: after.heapUsed - before.heapUsed,
    rssBefore: before.rss,
    rssAfter: after.rss,
    rssGrowth: after.rss - before.rss,
    allocBytesPerCycle: allocPerCycle(cycle),
  });
}
ctx.close();
process.stdout.write(`${JSON.stringify(rows)}\n`);
