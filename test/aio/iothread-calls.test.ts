// IOThread calls, posts and events: ordering, results and errors across threads, stop()
// with calls pending, many senders. Classes guarded: "errors crossing threads lose their
// shape" (issue 8) and "work into and out of IOThreads" (issue 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AioContextRef, IOThread, IOThreadClient, sys } from '../../lib';
import { fixture, openFds, SLOW, startThread, startWorker, waitFor, within } from '../support';
import type * as Device from '../fixtures/calls-iothread';

const start = (tc: Parameters<typeof startThread>[0]) =>
  startThread(tc, { module: fixture('calls-iothread'), data: { greeting: 'hi' }, sigioKick: false }) as Promise<IOThread<typeof Device>>;

test('call() runs the export on the IOThread and resolves with its result; setupResult is typed', async (tc) => {
  const t = await start(tc);
  const { tid, greeting, ctx } = t.setupResult;
  assert.equal(greeting, 'hi');
  assert.ok(ctx instanceof AioContextRef);
  const sum: number = await t.call('add', 2, 3);
  assert.equal(sum, 5);
  assert.equal(await t.call('tid'), tid);
  assert.notEqual(tid, sys.gettid());
  const value = { bytes: new Uint8Array([1, 2, 3]), map: new Map([[1, 'a']]), big: 2n ** 70n };
  assert.deepEqual(await t.call('echo', value), value);
  assert.deepEqual(await t.call('echo', t.setupResult.ctx), t.setupResult.ctx);
  assert.equal(await t.call('doubleLater', 21), 42);
  assert.equal(await t.call('viaBottomHalf', 1), 2);
  if (false as boolean) {
    // Compile-time checks: tsc rejects these lines (the test would not build otherwise).
    // @ts-expect-error wrong argument type
    await t.call('add', 1, 'x');
    // @ts-expect-error not an export
    await t.call('nope');
    // @ts-expect-error setup is not callable
    await t.call('setup');
    // @ts-expect-error the result is a number
    const s: string = await t.call('add', 1, 2);
    void s;
  }
});

test('calls and posts from one sender run in the order made', async (tc) => {
  const t = await start(tc);
  const n = SLOW ? 500 : 2000;
  const answers: Array<Promise<number>> = [];
  for (let seq = 0; seq < n; seq++) {
    if (seq % 3 === 0) t.post('sequence', 0, seq);
    else answers.push(t.call('sequence', 0, seq));
  }
  const got = await Promise.all(answers);
  assert.deepEqual(got, [...Array(n).keys()].filter((s) => s % 3 !== 0));
  assert.deepEqual(await t.call('sequenceStats'), { received: n, outOfOrder: 0, senders: 1 });
});

test('a throw comes back as a rejected Error with its class, code, properties and the remote stack', async (tc) => {
  const t = await start(tc);
  const err = await t.call('fail', 'device fault').then(
    () => assert.fail('resolved'),
    (e: unknown) => e as RangeError & { code: string; detail: number },
  );
  assert.ok(err instanceof RangeError);
  assert.equal(err.message, 'device fault');
  assert.equal(err.code, 'ERR_DEVICE_FAULT');
  assert.equal(err.detail, 42);
  assert.match(err.stack!, /^RangeError: device fault\n/);
  assert.match(err.stack!, /calls-iothread\.js:\d+/, 'the remote frame of fail()');
  assert.match(err.stack!, /at <IOThread .*, call 'fail'>/);

  await assert.rejects(t.call('closeBadFd'), (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, 'EBADF');
    assert.equal(e.errno, -9);
    assert.equal(e.syscall, 'close');
    assert.match(e.message, /^EBADF: bad file descriptor, close$/);
    return true;
  });
  await assert.rejects(t.call('throwString'), { message: 'a non-Error value was thrown: not an Error' });
  await assert.rejects(t.call('rejectLater', 'async failure'), (e: Error) => e instanceof TypeError && /async failure/.test(e.message));
  await assert.rejects(t.call('unclonable'), { name: 'TypeError', code: 'ERR_INVALID_RETURN_VALUE', message: /could not be cloned/ });
  const returned = await t.call('makeError');
  assert.ok(returned instanceof TypeError);
  assert.equal((returned as TypeError & { code: string }).code, 'ERR_RETURNED');
  // The thread survives every one of them.
  assert.equal(await t.call('add', 1, 1), 2);
});

test('bad calls reject with argument errors; post() throws them', async (tc) => {
  const t = await start(tc);
  await assert.rejects(t.call('nope' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(t.call('setup' as never), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(t.call(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(t.call('echo', () => 1), { code: 'ERR_INVALID_ARG_VALUE', message: /cannot be structured-cloned/ });
  assert.throws(() => t.post('nope' as never), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => t.post('echo', Symbol('x')), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.equal(await t.call('add', 1, 2), 3);
});

test('a post() that throws is an error event on the starter', async (tc) => {
  const t = await start(tc);
  const error = once(t, 'error');
  t.post('fail', 'posted fault');
  const [e] = (await error) as [Error & { code: string }];
  assert.ok(e instanceof RangeError);
  assert.equal(e.code, 'ERR_DEVICE_FAULT');
  assert.match(e.stack!, /post 'fail'/);
});

test('events from the IOThread arrive on the starter in order, before the answer of the call that sent them', async (tc) => {
  const t = await start(tc);
  const ticks: number[] = [];
  t.on('tick', (i: number, o: { at: number }) => {
    assert.equal(o.at, i);
    ticks.push(i);
  });
  let failure: (Error & { code?: string }) | undefined;
  t.on('failure', (e: Error) => {
    failure = e;
  });
  assert.equal(await t.call('emit', 100), 100);
  assert.deepEqual(ticks, [...Array(100).keys()]);
  assert.ok(failure instanceof TypeError);
  assert.equal((failure as { code?: string }).code, 'ERR_REPORTED');
  await assert.rejects(t.call('emitReserved'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('stop() with calls pending: earlier calls are answered, later ones and unanswerable ones reject ERR_AIO_CLOSED', async () => {
  const t = await IOThread.start<typeof Device>({ module: fixture('calls-iothread'), data: { greeting: 'x' }, sigioKick: false });
  const before = Array.from({ length: 50 }, (_, i) => t.call('spin', i % 5 === 0 ? 1 : 0));
  const hanging = t.call('never');
  const stopped = t.stop();
  const after = t.call('add', 1, 2);
  assert.throws(() => t.post('add', 1, 2), { code: 'ERR_AIO_CLOSED' });
  const results = await Promise.allSettled([...before, hanging, after]);
  await stopped;
  assert.deepEqual(
    results.slice(0, 50).map((r) => r.status),
    Array(50).fill('fulfilled'),
  );
  for (const r of results.slice(50)) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_AIO_CLOSED');
  }
  await assert.rejects(t.call('add', 1, 2), { code: 'ERR_AIO_CLOSED' });
});

test('calls pending when the thread is terminated reject ERR_AIO_CLOSED', async () => {
  const t = await IOThread.start<typeof Device>({ module: fixture('calls-iothread'), data: { greeting: 'x' }, sigioKick: false });
  const flag = new SharedArrayBuffer(4);
  const pending = Promise.allSettled([t.call('spinUntil', flag), t.call('add', 1, 2)]);
  await assert.rejects(t.stop({ timeout: 200 }), { code: 'ERR_AIO_TIMEOUT' });
  await waitFor(() => t.exited, { timeoutMs: 20_000, what: 'the terminated thread to exit' });
  for (const r of await pending) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_AIO_CLOSED');
  }
});

test('thousands of calls from 4 threads: none lost, FIFO per sender', { timeout: 300_000 }, async (tc) => {
  const fds = openFds();
  const t = await start(tc);
  const calls = SLOW ? 500 : 2500;
  const senders = 4;
  const reports = await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      const client = t.connect();
      const w = new Worker(fixture('call-sender'), { workerData: { client, sender, calls }, transferList: [client.port] });
      const exited = once(w, 'exit');
      const [report] = (await once(w, 'message')) as [{ answered: number; inOrder: boolean; sent: number; error?: string }];
      await exited;
      return report;
    }),
  );
  for (const r of reports) {
    assert.equal(r.error, undefined);
    assert.deepEqual(r, { answered: calls, inOrder: true, sent: 2 * calls });
  }
  // Each sender's posts were sent before its last call's answer: all have run.
  assert.deepEqual(await t.call('sequenceStats'), { received: senders * 2 * calls, outOfOrder: 0, senders });
  await t.stop();
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});

test('a client on another thread: its calls reject ERR_AIO_CLOSED once the IOThread stops', async () => {
  const t = await IOThread.start<typeof Device>({ module: fixture('calls-iothread'), data: { greeting: 'x' }, sigioKick: false });
  const client = t.connect();
  const w = startWorker(
    `const c = lib.IOThreadClient.from(data.client);
    send(await c.call('add', 20, 22));
    const pending = c.call('never');
    send('waiting');
    send(await pending.then(() => 'resolved', (e) => e.code));
    send(await c.call('add', 1, 1).then(() => 'resolved', (e) => e.code));`,
    { client },
    { transferList: [client.port] },
  );
  const messages = [await w.next(), await w.next()];
  await t.stop();
  messages.push(await w.next(), await w.next());
  await w.done();
  assert.deepEqual(messages, [42, 'waiting', 'ERR_AIO_CLOSED', 'ERR_AIO_CLOSED']);
});

test("one sender's close() in the same round does not strand another sender's calls", async (tc) => {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const t = (await startThread(tc, {
    module: fixture('calls-iothread'),
    data: { greeting: 'x', gate: gate.buffer },
    sigioKick: false,
  })) as IOThread<typeof Device>;
  const a = IOThreadClient.from<typeof Device>(t.connect());
  const b = IOThreadClient.from<typeof Device>(t.connect());
  assert.equal(await b.call('add', 1, 1), 2); // both ports are attached
  // Hold the loop in a bottom half, so that the close and the call below reach it in one drain.
  t.setupResult.hold.schedule();
  await waitFor(() => Atomics.load(gate, 1) === 1, { timeoutMs: 20_000, what: 'the IOThread to be held' });
  a.close();
  const answer = b.call('add', 2, 3);
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  assert.equal(await within(answer, 20_000, "b's call"), 5);
  b.close();
});

