// poll(false) cost against the number of idle fds (pipes with a read handler), and with
// one of them readable. From EPOLL_THRESHOLD handlers on the context waits with epoll
// (QEMU's fdmon-epoll), so the cost should follow the ready fds, not the watched ones.
import { AioContext } from '../../aio/context';
import { EPOLL_THRESHOLD } from '../../aio/fd-handlers';
import { close, pipe2, read, write } from '../../sys';
import type { PollRow } from './report';
import { interleavedTimings, median } from './timing';

export interface PollCostOptions {
  fds: number[];
  iterations: number;
  repeats: number;
}

interface Setup {
  fds: number;
  ctx: AioContext;
  pipes: Array<[number, number]>;
}

const ONE = new Uint8Array([1]);
const SCRATCH = new Uint8Array(64);

function open(fds: number): Setup {
  const ctx = new AioContext({ sigioKick: false, name: `bench-poll-${fds}` });
  const pipes: Array<[number, number]> = [];
  try {
    for (let i = 0; i < fds; i++) {
      const p = pipe2();
      pipes.push(p);
      ctx.setFdHandler(p[0], { read: () => {} });
    }
    ctx.poll(false); // builds the poll set, or moves it to epoll
    return { fds, ctx, pipes };
  } catch (err) {
    release({ fds, ctx, pipes });
    throw err;
  }
}

function release(s: Setup): void {
  s.ctx.close();
  for (const [r, w] of s.pipes) {
    close(r);
    close(w);
  }
}

export function measurePollCost(o: PollCostOptions): PollRow[] {
  const setups: Setup[] = [];
  const rows: PollRow[] = [];
  try {
    for (const fds of o.fds) {
      try {
        setups.push(open(fds));
      } catch (err) {
        rows.push({ fds, backend: fds >= EPOLL_THRESHOLD ? 'epoll' : 'ppoll', idleNsPerOp: NaN, readyNsPerOp: NaN, skipped: String((err as Error).message) });
      }
    }
    const idle = setups.map((s) => (n: number) => {
      for (let i = 0; i < n; i++) s.ctx.poll(false);
    });
    const ready = setups.map((s) => {
      // One readable pipe in the middle of the set; its handler does not drain it, so it
      // stays ready for every poll of the timing.
      const [r, w] = s.pipes[s.pipes.length >> 1];
      return (n: number) => {
        write(w, ONE);
        for (let i = 0; i < n; i++) s.ctx.poll(false);
        read(r, SCRATCH);
      };
    });
    const timings = interleavedTimings([...idle, ...ready], o.iterations, o.repeats);
    setups.forEach((s, i) => {
      rows.push({
        fds: s.fds,
        backend: s.ctx.stats.epoll ? 'epoll' : 'ppoll',
        idleNsPerOp: median(timings[i]),
        readyNsPerOp: median(timings[setups.length + i]),
        skipped: null,
      });
    });
  } finally {
    for (const s of setups) release(s);
  }
  return rows.sort((a, b) => a.fds - b.fds);
}
