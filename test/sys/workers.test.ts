// The addon in many threads at once: it is context-aware (per-environment state, cleanup
// hooks), and its system calls work from every worker concurrently.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sys } from '../../lib';
import {
  assertNoFdLeak,
  leakCheck,
  scoped,
  startWorker,
  TEST_TIMEOUT,
  waitFor,
  type WorkerContext,
} from '../support';

leakCheck();
const T = { timeout: 2 * TEST_TIMEOUT };
const WORKERS = 8;
/** How long a worker's done() may take: generous, these are whole workloads under emulation. */
const DONE_MS = 200_000;

interface BarrierData {
  /** Int32Array over a SharedArrayBuffer: [arrived, go]. */
  barrier: Int32Array;
}

describe('the addon in 8 workers at once', () => {
  test('each of 8 concurrent workers does eventfd, semaphore, pipe and ppoll work', T, async () => {
    const barrier = new Int32Array(new SharedArrayBuffer(8));
    const body = ({ sys, data }: WorkerContext<BarrierData & { rounds: number }>) => {
      // Everyone starts together, to run the system calls truly side by side.
      Atomics.add(data.barrier, 0, 1);
      Atomics.wait(data.barrier, 1, 0, 300_000);
      const efd = sys.eventfd();
      const sem = sys.eventfd(0, { semaphore: true });
      const [r, w] = sys.pipe2();
      const p = new sys.PollFdArray(3);
      p.push(efd, sys.POLLIN);
      p.push(sem, sys.POLLIN);
      p.push(r, sys.POLLIN);
      const byte = new Uint8Array(1);
      let sum = 0n;
      try {
        for (let i = 1; i <= data.rounds; i++) {
          if (sys.ppoll(p, 0) !== 0) throw new Error(`round ${i}: ready before any write`);
          sys.eventfdWrite(efd, i);
          sys.eventfdWrite(sem, 2);
          sys.write(w, Uint8Array.of(i & 0xff));
          const n = sys.ppoll(p, 20_000_000_000);
          if (n !== 3) throw new Error(`round ${i}: ppoll gave ${n}, revents ${[0, 1, 2].map((k) => p.revents(k))}`);
          sum += sys.eventfdRead(efd)!;
          if (sys.eventfdRead(sem) !== 1n || sys.eventfdRead(sem) !== 1n || sys.eventfdRead(sem) !== null) {
            throw new Error(`round ${i}: semaphore counts wrong`);
          }
          if (sys.read(r, byte) !== 1 || byte[0] !== (i & 0xff)) throw new Error(`round ${i}: pipe byte wrong`);
        }
        if (sys.eventfdWrite(efd, sys.EVENTFD_MAX) !== true || sys.eventfdWrite(efd, 1) !== false) {
          throw new Error('overflow not reported');
        }
      } finally {
        for (const fd of [efd, sem, r, w]) sys.close(fd);
      }
      return { tid: sys.gettid(), sum: String(sum), pollin: sys.POLLIN, record: sys.RELAY_RECORD_SIZE };
    };
    const rounds = 200;
    const workers = Array.from({ length: WORKERS }, () => startWorker(body, { barrier, rounds }));
    try {
      await waitFor(() => Atomics.load(barrier, 0) === WORKERS, { timeoutMs: DONE_MS, what: 'all workers at the barrier' });
      Atomics.store(barrier, 1, 1);
      Atomics.notify(barrier, 1);
      const results = await Promise.all(workers.map((w) => w.done(DONE_MS)));
      const tids = new Set(results.map((r) => r.tid));
      assert.equal(tids.size, WORKERS, 'eight distinct threads');
      assert.ok(!tids.has(sys.gettid()));
      for (const r of results) {
        assert.equal(r.sum, String((rounds * (rounds + 1)) / 2));
        assert.equal(r.pollin, sys.POLLIN);
        assert.equal(r.record, 128);
      }
    } finally {
      Atomics.store(barrier, 1, 1);
      Atomics.notify(barrier, 1);
      await Promise.allSettled(workers.map((w) => w.exited));
    }
  });

  test('a ring of 8 workers passes a token through eventfds, asleep in ppoll between turns', T, scoped(async (s) => {
    const laps = 50;
    const efds = Array.from({ length: WORKERS }, () => s.fd(sys.eventfd()));
    const body = ({ sys, data }: WorkerContext<{ efds: number[]; index: number; laps: number }>) => {
      const { efds, index, laps } = data;
      const p = new sys.PollFdArray(1);
      p.push(efds[index], sys.POLLIN);
      const next = efds[(index + 1) % efds.length];
      for (let lap = 0; lap < laps; lap++) {
        let n: number;
        while ((n = sys.ppoll(p, 20_000_000_000)) === sys.PPOLL_INTERRUPTED);
        if (n !== 1) throw new Error(`worker ${index}, lap ${lap}: no token within 20 s (ppoll gave ${n})`);
        const got = sys.eventfdRead(efds[index]);
        if (got !== 1n) throw new Error(`worker ${index}, lap ${lap}: counter ${got}, expected 1`);
        sys.eventfdWrite(next, 1);
      }
      return sys.gettid();
    };
    const workers = efds.map((_, index) => s.worker(startWorker(body, { efds, index, laps })));
    sys.eventfdWrite(efds[0], 1); // the token
    const tids = await Promise.all(workers.map((w) => w.done(DONE_MS)));
    assert.equal(new Set(tids).size, WORKERS);
    // The last hop (worker 7 -> worker 0) is left in efds[0]; no token was lost or doubled.
    assert.equal(sys.eventfdRead(efds[0]), 1n);
    for (const fd of efds.slice(1)) assert.equal(sys.eventfdRead(fd), null);
  }));

  test('three rounds of 8 workers that load the addon and exit with relays open', T, async () => {
    for (let round = 0; round < 3; round++) {
      await assertNoFdLeak(async () => {
        const workers = Array.from({ length: WORKERS }, () =>
          startWorker(({ sys }) => {
            const relay = sys.openSignalRelay(['SIGIO', 'SIGUSR2']);
            const seen = sys.relaySubscribers('SIGIO');
            const efd = sys.eventfd(1);
            const p = new sys.PollFdArray(2);
            p.push(relay.fd, sys.POLLIN);
            p.push(efd, sys.POLLIN);
            const n = sys.ppoll(p, 0);
            sys.close(efd);
            return { seen, n }; // the relay is left open: the environment's cleanup closes it
          }),
        );
        const results = await Promise.all(workers.map((w) => w.done(DONE_MS)));
        for (const r of results) {
          assert.ok(r.seen >= 1 && r.seen <= WORKERS);
          assert.equal(r.n, 1, 'only the eventfd is ready');
        }
        assert.equal(sys.relaySubscribers('SIGIO'), 0, `round ${round}`);
        assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
      });
    }
  });

  test('relays opened and closed in 8 workers leave the main thread\'s relay working', T, scoped(async (s) => {
    const mine = sys.openSignalRelay(['SIGIO']);
    s.defer(() => mine.close());
    const workers = Array.from({ length: WORKERS }, () =>
      startWorker(({ sys }) => {
        let max = 0;
        for (let i = 0; i < 25; i++) {
          const a = sys.openSignalRelay(['SIGIO']);
          const b = sys.openSignalRelay(['SIGUSR2', 'SIGIO']);
          max = Math.max(max, sys.relaySubscribers('SIGIO'));
          b.close();
          a.close();
        }
        return max;
      }),
    );
    for (const max of await Promise.all(workers.map((w) => w.done(DONE_MS)))) assert.ok(max >= 3 && max <= 1 + 2 * WORKERS);
    assert.equal(sys.relaySubscribers('SIGIO'), 1);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
    sys.kill(sys.getpid(), 'SIGIO');
    const got = await waitFor(() => {
      const r = mine.read();
      return r.length > 0 ? r : null;
    });
    assert.deepEqual(got.map((r) => [r.signo, r.pid]), [[29, sys.getpid()]]);
  }));
});
