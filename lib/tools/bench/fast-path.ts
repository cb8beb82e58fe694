// notify() when nobody sleeps (notify_me == 0: no system call, one flag exchange) against
// one iteration of a plain Atomics.load loop, timed in alternation on this thread.
import { AioContext } from '../../aio/context';
import type { CostRow } from './report';
import { interleavedTimings, median } from './timing';

export interface FastPathOptions {
  iterations: number;
  repeats: number;
}

export function measureFastPath(o: FastPathOptions): CostRow[] {
  const ctx = new AioContext({ sigioKick: false, name: 'bench-fast-path' });
  try {
    const ref = ctx.ref();
    const words = new Int32Array(new SharedArrayBuffer(64));
    let sink = 0;
    const loops: Array<[id: string, label: string, loop: (n: number) => void]> = [
      [
        'notify-ctx',
        'ctx.notify(), nobody asleep',
        (n) => {
          for (let i = 0; i < n; i++) ctx.notify();
        },
      ],
      [
        'notify-ref',
        'ref.notify() (AioContextRef), nobody asleep',
        (n) => {
          for (let i = 0; i < n; i++) ref.notify();
        },
      ],
      [
        'atomics-load',
        'Atomics.load loop iteration',
        (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) s += Atomics.load(words, 0);
          sink += s;
        },
      ],
    ];
    const timings = interleavedTimings(
      loops.map(([, , loop]) => loop),
      o.iterations,
      o.repeats,
    );
    if (ctx.stats.kicks !== 0) throw new Error('bench: notify() with nobody asleep wrote the eventfd');
    if (sink < 0) throw new Error('unreachable');
    return loops.map(([id, label], i) => ({ id, label, nsPerOp: median(timings[i]), repeatsNs: timings[i] }));
  } finally {
    ctx.close();
  }
}
