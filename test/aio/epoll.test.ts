// Many fds: from EPOLL_THRESHOLD handlers on, a context waits with epoll, and falls back to
// ppoll while external clients are disabled (QEMU's fdmon-epoll).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AioContext, sys } from '../../lib';
import { EPOLL_THRESHOLD } from '../../lib/aio/fd-handlers';
import { asleepForever, fixture, openFds, startThread, stopThread, waitFor } from '../support';

function pipes(n: number): Array<[number, number]> {
  return Array.from({ length: n }, () => sys.pipe2());
}

test('a context with many handlers switches to epoll and serves every fd', () => {
  const fds = openFds();
  const ctx = new AioContext({ sigioKick: false });
  const ps = pipes(EPOLL_THRESHOLD + 36);
  const served = new Map<number, number>();
  const buf = Buffer.alloc(16);
  ps.forEach(([r], i) =>
    ctx.setFdHandler(r, {
      external: i % 2 === 0,
      read: () => {
        sys.read(r, buf);
        served.set(r, (served.get(r) ?? 0) + 1);
      },
    }),
  );
  assert.equal(ctx.poll(false), false);
  assert.equal(ctx.stats.epoll, true);
  assert.equal(ctx.stats.watchedFds, ps.length + 1);

  for (const [, w] of ps) sys.write(w, Buffer.from('x'));
  while (ctx.poll(false));
  assert.equal(served.size, ps.length);

  // Disabled: the wait falls back to ppoll without the external fds; they stay pending.
  ctx.disableExternal();
  for (const [, w] of ps) sys.write(w, Buffer.from('y'));
  while (ctx.poll(false));
  ps.forEach(([r], i) => assert.equal(served.get(r), i % 2 === 0 ? 1 : 2));
  ctx.enableExternal();
  while (ctx.poll(false));
  for (const [r] of ps) assert.equal(served.get(r), 2);

  // Removed handlers leave the interest list; a closed fd dropped itself already.
  const [r0, w0] = ps[0];
  sys.close(w0);
  sys.close(r0);
  ctx.setFdHandler(r0, null);
  for (const [r] of ps.slice(1)) ctx.setFdHandler(r, null);
  for (const [, w] of ps.slice(1)) sys.write(w, Buffer.from('z'));
  assert.equal(ctx.poll(false), false);
  ctx.close();
  for (const [r, w] of ps.slice(1)) {
    sys.close(r);
    sys.close(w);
  }
  assert.equal(openFds(), fds);
});

test('an IOThread asleep in epoll_wait is woken by a bottom half', { timeout: 60_000 }, async (t) => {
  const data = { pending: new SharedArrayBuffer(4), consumed: new SharedArrayBuffer(8), extraFds: EPOLL_THRESHOLD };
  const thread = await startThread(t, { module: fixture('counter-iothread'), data, sigioKick: false });
  await asleepForever(thread.ctx);
  assert.equal(thread.ctx.stats.epoll, true);
  Atomics.add(new Int32Array(data.pending), 0, 1);
  (thread.setupResult as { drain: { schedule(): void } }).drain.schedule();
  await waitFor(() => Atomics.load(new Int32Array(data.consumed), 0) === 1, { timeoutMs: 10_000, what: 'the bottom half' });
  await stopThread(thread);
});
