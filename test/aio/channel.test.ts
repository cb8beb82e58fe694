// The byte channel into an IOThread: order and content through wrap-around, backpressure
// (a producer blocked on a full channel is released by the consumer), several producer
// threads, argument errors, and the end of the channel with its IOThread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AioContext, ByteChannel, ByteChannelProducer, IOThread } from '../../lib';
import { fixture, openFds, sleep, SLOW, startThread, waitFor, within } from '../support';
import { fillMessage, messageLength } from '../fixtures/channel-iothread';
import type * as Consumer from '../fixtures/channel-iothread';

type Options = { capacity: number; spread: number; gate?: SharedArrayBuffer };
const start = (tc: Parameters<typeof startThread>[0], data: Options) =>
  startThread(tc, { module: fixture('channel-iothread'), data, sigioKick: false }) as Promise<IOThread<typeof Consumer>>;

test('messages arrive whole and in order, through every wrap of the ring', async (tc) => {
  const spread = 300;
  const t = await start(tc, { capacity: 1024, spread });
  const { input } = t.setupResult;
  assert.ok(input instanceof ByteChannelProducer);
  assert.equal(input.maxMessage, 508);
  const n = SLOW ? 2000 : 20_000;
  const buf = new Uint8Array(5 + spread);
  let immediate = 0;
  let bytes = 0;
  for (let seq = 0; seq < n; seq++) {
    const length = fillMessage(buf, 0, seq, messageLength(seq, spread));
    bytes += length;
    if (input.trySend(buf.subarray(0, length))) immediate++;
    else await input.send(buf.subarray(0, length));
  }
  assert.ok(immediate > 0);
  // Every send above has committed its message: stats() reads them all before it answers.
  const s = await t.call('stats');
  assert.deepEqual(s, { received: n, bad: 0, bytes, next: [n] });
});

test('a producer blocked on a full channel is released by the consumer', async (tc) => {
  const gate = new SharedArrayBuffer(4);
  const t = await start(tc, { capacity: 256, spread: 20, gate });
  const { input } = t.setupResult;
  const buf = new Uint8Array(25);
  let seq = 0;
  // The consumer holds the first message (gate closed); fill the rest of the ring.
  while (input.trySend(buf.subarray(0, fillMessage(buf, 0, seq, messageLength(seq, 20))))) seq++;
  assert.ok(seq > 3, `only ${seq} messages fit`);
  let released = false;
  const blocked = input.send(buf.subarray(0, fillMessage(buf, 0, seq, messageLength(seq, 20)))).then(() => {
    released = true;
  });
  const buf2 = new Uint8Array(25);
  const queued = input.send(buf2.subarray(0, fillMessage(buf2, 0, seq + 1, messageLength(seq + 1, 20))));
  assert.equal(input.trySend(new Uint8Array(1)), false, 'trySend() does not overtake a waiting send()');
  await sleep(100);
  assert.equal(released, false, 'the producer waits while the channel is full');
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  await within(Promise.all([blocked, queued]), 20_000, 'the producer to be released');
  await waitFor(() => released, { timeoutMs: 1000, what: 'release' });
  const s = await t.call('stats');
  assert.deepEqual({ received: s.received, bad: s.bad }, { received: seq + 2, bad: 0 });
});

test('four producer threads: every message arrives, in order per producer', { timeout: 300_000 }, async (tc) => {
  const fds = openFds();
  const spread = 100;
  const t = await start(tc, { capacity: 4096, spread });
  const count = SLOW ? 1000 : 10_000;
  const producers = 4;
  const reports = await Promise.all(
    Array.from({ length: producers }, async (_, id) => {
      const w = new Worker(fixture('channel-producer'), { workerData: { input: t.setupResult.input, id, count, spread } });
      const exited = once(w, 'exit');
      const [report] = (await once(w, 'message')) as [{ sent: number; error?: string }];
      await exited;
      return report;
    }),
  );
  assert.deepEqual(reports, Array(producers).fill({ sent: count }));
  const s = await t.call('stats');
  assert.equal(s.bad, 0);
  assert.equal(s.received, producers * count);
  assert.deepEqual(s.next, Array(producers).fill(count));
  await t.stop();
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});

test('argument errors are coded', () => {
  const ctx = new AioContext({ sigioKick: false });
  try {
    const read = () => {};
    for (const capacity of [100, 32, 2 ** 31, 1.5]) {
      assert.throws(() => new ByteChannel(ctx, { capacity }, read), { code: 'ERR_OUT_OF_RANGE' });
    }
    assert.throws(() => new ByteChannel(ctx, { capacity: '1' as never }, read), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new ByteChannel(ctx, undefined, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ByteChannelProducer.from({}), { code: 'ERR_INVALID_ARG_TYPE' });
    const ch = new ByteChannel(ctx, { capacity: 64 }, read);
    const p = ch.producer();
    assert.throws(() => p.trySend('abc' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => p.trySend(new Uint8Array(29)), { code: 'ERR_OUT_OF_RANGE' });
    assert.equal(p.trySend(new Uint8Array(28)), true);
    assert.equal(p.trySend(new Uint16Array([1, 2])), true);
    const seen: number[][] = [];
    const ch2 = new ByteChannel(ctx, { capacity: 64 }, (b, o, l) => seen.push([...b.subarray(o, o + l)]));
    const p2 = ch2.producer();
    p2.trySend(new Uint8Array([1, 2, 3]));
    p2.trySend(new Uint8Array(0));
    ctx.poll(false);
    assert.deepEqual(seen, [[1, 2, 3], []]);
    ch.close();
    assert.throws(() => p.trySend(new Uint8Array(1)), { code: 'ERR_AIO_CLOSED' });
    assert.throws(() => ch.producer(), { code: 'ERR_AIO_CLOSED' });
  } finally {
    ctx.close();
  }
});

test('the channel ends with its IOThread: blocked and later sends reject ERR_AIO_CLOSED', async () => {
  const gate = new SharedArrayBuffer(4);
  const t = await IOThread.start<typeof Consumer>({ module: fixture('channel-iothread'), data: { capacity: 128, spread: 0, gate }, sigioKick: false });
  const { input } = t.setupResult;
  const one = new Uint8Array(5);
  while (input.trySend(one));
  const blocked = input.send(one);
  const stopped = t.stop();
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  await stopped;
  // Either it got in before the end or it learnt of the end: never left waiting.
  const r = await within(blocked.then(() => 'sent', (e: { code?: string }) => e.code), 20_000, 'the blocked send').catch(() => 'hung');
  assert.ok(r === 'sent' || r === 'ERR_AIO_CLOSED', r);
  assert.throws(() => input.trySend(one), { code: 'ERR_AIO_CLOSED' });
  await assert.rejects(input.send(one), { code: 'ERR_AIO_CLOSED' });
});
