// IOThread: start, setup results, errors, stop from an infinite sleep, lifecycle leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOThread, sys, BhRef } from '../../lib';
import { asleepForever, fixture, openFds, SLOW, startThread, waitFor } from '../support';

function counterData(producers = 1) {
  return {
    pending: new SharedArrayBuffer(4 * producers),
    consumed: new SharedArrayBuffer(4 * (producers + 1)),
  };
}

test('setupResult arrives with its refs revived; stop() from an infinite sleep', async (tc) => {
  const fds = openFds();
  const data = counterData();
  const t = await startThread(tc, { module: fixture('counter-iothread'), data, sigioKick: false });
  const { drain, tid } = t.setupResult as { drain: BhRef; tid: number };
  assert.ok(drain instanceof BhRef);
  assert.notEqual(tid, sys.gettid());
  await asleepForever(t.ctx);
  Atomics.add(new Int32Array(data.pending), 0, 5);
  drain.schedule();
  await waitFor(() => Atomics.load(new Int32Array(data.consumed), 0) === 5, { timeoutMs: 10_000, what: 'the drain bottom half' });
  await asleepForever(t.ctx);
  await t.stop();
  assert.equal(t.exited, true);
  assert.equal(t.ctx.stats.closed, true);
  assert.throws(() => t.ctx.notify(), { code: 'ERR_AIO_CLOSED' });
  assert.throws(() => drain.schedule(), { code: 'ERR_AIO_CLOSED' });
  await t.stop(); // idempotent
  assert.equal(openFds(), fds);
});

test('an exception in setup() rejects start() and leaves nothing behind', async () => {
  const fds = openFds();
  const dir = mkdtempSync(join(tmpdir(), 'aio-'));
  const mod = join(dir, 'bad.js');
  writeFileSync(mod, "exports.setup = () => { throw new Error('setup failed on purpose'); };");
  await assert.rejects(IOThread.start({ module: mod, sigioKick: false }), /setup failed on purpose/);
  writeFileSync(mod, 'exports.nothing = 1;');
  await assert.rejects(IOThread.start({ module: mod, sigioKick: false }), /does not export a setup/);
  rmSync(dir, { recursive: true });
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: 'fds to be released' });
});

test('an exception in a callback surfaces as an error event and the thread shuts down', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aio-'));
  const mod = join(dir, 'throws.js');
  writeFileSync(mod, "exports.setup = (ctx) => ({ bh: ctx.bhNew(() => { throw new Error('callback failed'); }).ref() });");
  const t = await IOThread.start({ module: mod, sigioKick: false });
  const error = new Promise<Error>((resolve) => t.once('error', resolve));
  (t.setupResult as { bh: BhRef }).bh.schedule();
  assert.match((await error).message, /callback failed/);
  await t.stop();
  assert.equal(t.ctx.stats.closed, true);
  rmSync(dir, { recursive: true });
});

test('start() rejects bad options', async () => {
  await assert.rejects(IOThread.start(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(IOThread.start({ module: 5 as unknown as string }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(IOThread.start({ module: fixture('counter-iothread'), sigioKick: 'x' as never }), {
    code: 'ERR_OUT_OF_RANGE',
  });
});

test('200 start/stop cycles leave no fd, thread or relay behind', { timeout: 600_000 }, async () => {
  const fds = openFds();
  const cycles = 200;
  const parallel = SLOW ? 4 : 2;
  for (let done = 0; done < cycles; done += parallel) {
    await Promise.all(
      Array.from({ length: parallel }, async (_, i) => {
        const t = await IOThread.start({ module: fixture('counter-iothread'), data: counterData(), sigioKick: i % 2 === 0 });
        await t.stop();
      }),
    );
  }
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});

test('a worker terminated while asleep in ppoll exits once kicked and releases its fds', async () => {
  const fds = openFds();
  const t = await IOThread.start({ module: fixture('counter-iothread'), data: counterData(), sigioKick: true });
  assert.equal(sys.relaySubscribers('SIGIO'), 1);
  await asleepForever(t.ctx);
  const terminated = t.worker.terminate();
  // terminate() cannot interrupt a native ppoll: another thread has to wake it.
  t.ctx.notify();
  await terminated;
  await waitFor(() => t.exited, { timeoutMs: 10_000, what: 'the worker to exit' });
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});
