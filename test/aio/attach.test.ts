// ctx.attach(): the thread's own Node event loop runs the context (QEMU's GSource path).
// Real eventfds, pipes, workers and child processes. No latency assertions: this suite
// also runs under qemu-user; a lost wake-up shows as a test that never finishes. Node's
// loop also wakes now and then on its own (V8's platform tasks), and each of those runs
// the context too, so a test of a wake-up path repeats it many times, from a thread that
// is otherwise silent: without that path, it would need as many stray wake-ups.
import { AsyncLocalStorage } from 'node:async_hooks';
import { test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { AioContext, AioContextRef, Attachment, BhRef, sys } from '../../lib';
import { openFds, runChild, sleep, startWorker } from '../support';

const TIMEOUT = { timeout: 180_000 };
/** Repetitions of a wake-up path (see the top). */
const ROUNDS = 200;

/**
 * A context attached to this thread's loop. It is closed (so detached) when the test ends,
 * even by timing out: a ref'd attachment left behind would keep the test process alive.
 */
function attachedContext(t: TestContext): { ctx: AioContext; attachment: Attachment } {
  const ctx = new AioContext();
  t.signal.addEventListener('abort', () => ctx.close(), { once: true });
  return { ctx, attachment: ctx.attach() };
}

test('main thread: a BhRef scheduled from a worker runs on the main loop, which stays responsive', TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  // Nothing is due, so the context's timeout is infinite; timers and immediates still run
  // (an attachment that slept on the context's behalf would hang here).
  for (let i = 0; i < 5; i++) await sleep(5);
  await new Promise<void>((done) => {
    let n = 0;
    const step = (): void => void (++n === 100 ? done() : setImmediate(step));
    setImmediate(step);
  });

  // Each round, the worker schedules, then waits until the main loop has run the bottom
  // half. No main-thread timer runs meanwhile: the eventfd kick wakes the loop.
  const ran = new Int32Array(new SharedArrayBuffer(4));
  const bh = ctx.bhNew(() => {
    Atomics.add(ran, 0, 1);
    Atomics.notify(ran, 0);
  });
  const w = startWorker(
    `const bh = lib.BhRef.from(data.bh);
    for (let i = 1; i <= data.rounds; i++) {
      bh.schedule();
      while (Atomics.load(data.ran, 0) < i) Atomics.wait(data.ran, 0, i - 1);
    }`,
    { bh: bh.ref(), ran, rounds: ROUNDS },
    { test: t },
  );
  await w.done();
  assert.equal(await w.exited, 0);
  assert.equal(Atomics.load(ran, 0), ROUNDS);
  assert.ok(ctx.stats.kicks > 0, 'the worker woke the sleeping loop through the eventfd');
});

test('fd handlers and timers run via the attachment', TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  const [r, w] = sys.pipe2();
  try {
    await new Promise<void>((done) =>
      ctx.setFdHandler(w, {
        write: () => {
          ctx.setFdHandler(w, null);
          done();
        },
      }),
    );
    const got = new Promise<string>((done) =>
      ctx.setFdHandler(r, {
        read: (fd) => {
          const buf = Buffer.alloc(64);
          done(buf.toString('latin1', 0, sys.read(fd, buf) ?? 0));
        },
      }),
    );
    setTimeout(() => sys.write(w, Buffer.from('hello')), 20);
    assert.equal(await got, 'hello');

    // Timers, one after another, 1 ms each: the loop's uv_timer wakes it for each.
    for (let i = 0; i < ROUNDS; i++) {
      const deadline = ctx.clockNs() + 1_000_000n;
      const firedAt = await new Promise<bigint>((done) => ctx.timerNew(() => done(ctx.clockNs())).mod(deadline));
      assert.ok(firedAt >= deadline, 'the timer ran at or after its deadline');
    }
  } finally {
    ctx.close(); // detaches: the loop stops watching the fds before they close
    sys.close(r);
    sys.close(w);
  }
});

test('an external handler is not served while disabled, and is after enableExternal() from another thread', TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  const [r, w] = sys.pipe2();
  try {
    let served = 0;
    let onServed = (): void => {};
    ctx.setFdHandler(r, {
      read: (fd) => {
        sys.read(fd, Buffer.alloc(64));
        served++;
        onServed();
      },
      external: true,
    });
    ctx.disableExternal();
    sys.write(w, Buffer.from('x'));
    const polls = ctx.stats.polls;
    await sleep(300);
    assert.equal(served, 0, 'not served while disabled');
    // Its uv_poll was stopped: the loop sleeps instead of spinning on the readable fd.
    const rounds = ctx.stats.polls - polls;
    assert.ok(rounds < 50, `${rounds} loop rounds in 300 ms while the fd stayed readable`);

    // Each round the worker enables external clients, and its kick wakes the main loop.
    const round = new Int32Array(new SharedArrayBuffer(4));
    const enabler = startWorker(
      `const ctx = lib.AioContextRef.from(data.ctx);
      for (let i = 1; i <= data.rounds; i++) {
        while (Atomics.load(data.round, 0) < i) Atomics.wait(data.round, 0, i - 1);
        ctx.enableExternal();
      }`,
      { ctx: ctx.ref(), round, rounds: ROUNDS },
      { test: t },
    );
    for (let i = 1; i <= ROUNDS; i++) {
      if (i > 1) {
        ctx.disableExternal();
        sys.write(w, Buffer.from('x'));
      }
      const servedNow = new Promise<void>((done) => (onServed = done));
      Atomics.store(round, 0, i);
      Atomics.notify(round, 0);
      await servedNow;
    }
    assert.equal(served, ROUNDS);
    await enabler.done();
    assert.equal(await enabler.exited, 0);
  } finally {
    ctx.close(); // detaches: the loop stops watching the fds before they close
    sys.close(r);
    sys.close(w);
  }
});

test('an fd closed and reused within a round, with a new handler, is watched anew', TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  let fds = sys.pipe2();
  // Writes one byte to the fd it is given (+1 in `request`; -1 stops it), from an otherwise
  // silent thread. A wake-up may find the request taken already: a notify() can arrive after
  // the value it announced was read without waiting (a wait that saw it non-zero), so 0 is
  // waited on again, never taken for a stop.
  const request = new Int32Array(new SharedArrayBuffer(4));
  const writer = startWorker(
    `const request = data.request;
    for (;;) {
      Atomics.wait(request, 0, 0);
      const value = Atomics.exchange(request, 0, 0);
      if (value === 0) continue;
      if (value < 0) break;
      lib.sys.write(value - 1, Buffer.from('x'));
    }`,
    { request },
    { test: t },
  );
  const writeFrom = (fd: number): void => {
    Atomics.store(request, 0, fd + 1);
    Atomics.notify(request, 0);
  };
  try {
    // Each round, in its handler: remove it, close both ends, and watch a new pipe, which
    // gets the same fd numbers (the lowest free ones) but was never in the loop's epoll set.
    let rounds = 0;
    let reused = 0;
    await new Promise<void>((done) => {
      const watch = ([r, w]: [number, number]): void =>
        ctx.setFdHandler(r, {
          read: () => {
            ctx.setFdHandler(r, null);
            sys.close(r);
            sys.close(w);
            fds = sys.pipe2();
            if (fds[0] === r && fds[1] === w) reused++;
            if (++rounds === ROUNDS) return done();
            watch(fds);
            writeFrom(fds[1]);
          },
        });
      watch(fds);
      // A loop round first, so that the loop watches the first pipe when it is closed.
      setTimeout(() => writeFrom(fds[1]), 10);
    });
    assert.ok(reused >= ROUNDS - 1, `the numbers were reused (${reused} of ${ROUNDS} rounds)`);
  } finally {
    ctx.close(); // detaches: the loop stops watching the fds before they close
    for (const fd of fds) sys.close(fd);
    Atomics.store(request, 0, -1); // the writer's stop request
    Atomics.notify(request, 0);
    await writer.done();
  }
});

test("a handler that removes itself and closes its fd frees the number for Node's own handles", TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  const [r, w] = sys.pipe2();
  const server = net.createServer();
  t.signal.addEventListener('abort', () => server.close(), { once: true });
  // The usual end of a handler: remove it, close the fd. A server that Node creates right
  // after (an immediate, before the loop's next prepare) gets the same fd number; the
  // loop must already have dropped its watcher for it, or libuv would drop the server's.
  const listening = new Promise<void>((done) =>
    ctx.setFdHandler(r, {
      read: () => {
        ctx.setFdHandler(r, null);
        sys.close(r);
        sys.close(w);
        setImmediate(() => server.listen(0, '127.0.0.1', done));
      },
    }),
  );
  await sleep(10); // a loop round first: the loop watches r when its handler runs
  sys.write(w, Buffer.from('x'));
  await listening;
  assert.equal((server as unknown as { _handle: { fd: number } })._handle.fd, r, 'the server got the same fd number');
  const connected = once(server, 'connection');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [socket] = (await connected) as [net.Socket];
  socket.destroy();
  client.destroy();
});

test('a handler on an fd in error runs every round until it removes itself, as under poll()', TIMEOUT, async (t) => {
  const { ctx } = attachedContext(t);
  const [r, w] = sys.pipe2();
  sys.close(r); // the write end now polls POLLOUT | POLLERR, which makes libuv stop its uv_poll
  try {
    let runs = 0;
    await new Promise<void>((done) =>
      ctx.setFdHandler(w, {
        write: () => {
          // Stray wake-ups (V8's platform tasks, the runner's output) come a few a second:
          // without the re-arm, this count would take many minutes.
          if (++runs < 1000) return;
          ctx.setFdHandler(w, null);
          done();
        },
      }),
    );
    assert.equal(runs, 1000);
  } finally {
    ctx.close(); // detaches: the loop stops watching the fds before they close
    sys.close(w);
  }
});

test('detach() stops dispatch; one attachment at a time; close() detaches', TIMEOUT, async (t) => {
  const { ctx, attachment } = attachedContext(t);
  assert.throws(() => ctx.attach(), { code: 'ERR_INVALID_STATE' });
  let runs = 0;
  const bh = ctx.bhNew(() => runs++);
  bh.schedule();
  while (runs === 0) await sleep(5);

  attachment.detach();
  attachment.detach(); // idempotent
  assert.equal(attachment.attached, false);
  assert.equal(ctx.stats.notifyMe, 0, 'bit 0 of notify_me is clear');
  bh.schedule();
  await sleep(200);
  assert.equal(runs, 1, 'not dispatched after detach()');
  assert.equal(ctx.poll(false), true, 'the bottom half was still pending');
  assert.equal(runs, 2);

  const again = ctx.attach();
  bh.schedule();
  while (runs === 2) await sleep(5);
  ctx.close();
  assert.equal(again.attached, false);
  assert.throws(() => ctx.attach(), { code: 'ERR_AIO_CLOSED' });
});

test('callbacks run in the async context of attach() (MakeCallback)', TIMEOUT, async (t) => {
  const als = new AsyncLocalStorage<string>();
  const ctx = new AioContext();
  t.signal.addEventListener('abort', () => ctx.close(), { once: true });
  als.run('attach() caller', () => ctx.attach());
  const seen = await new Promise<Array<string | undefined>>((done) =>
    ctx.bhScheduleOneshot(() => {
      const inCallback = als.getStore();
      process.nextTick(() => void Promise.resolve().then(() => done([inCallback, als.getStore()])));
    }),
  );
  assert.deepEqual(seen, ['attach() caller', 'attach() caller']);
});

test('unref() lets the process exit while attached (child process)', TIMEOUT, async () => {
  const r = await runChild(`
    const ctx = new lib.AioContext();
    const a = ctx.attach().unref();
    setTimeout(() => console.log('loop ran'), 10);
    process.on('exit', () => console.log('exit attached=' + a.attached));`);
  assert.equal(r.signal, null, 'exited by itself');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'loop ran\nexit attached=true\n');
});

test('ref() keeps the process alive until detach() (child process)', TIMEOUT, async () => {
  const r = await runChild(`
    const { Worker } = require('node:worker_threads');
    const ctx = new lib.AioContext();
    const a = ctx.attach().unref().ref();
    const bh = ctx.bhNew(() => {
      console.log('bh ran');
      a.detach();
    });
    // An unref'd worker schedules the bottom half later: only the attachment keeps us alive.
    new Worker(\`const { workerData } = require('node:worker_threads');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      require(workerData.lib).BhRef.from(workerData.bh).schedule();\`,
      { eval: true, workerData: { lib: process.env.AIO_TEST_LIB, bh: bh.ref() } }).unref();
    process.on('exit', () => console.log('exit attached=' + a.attached));`);
  assert.equal(r.signal, null, 'exited by itself once detached');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'bh ran\nexit attached=false\n');
});

test('an exception in a callback surfaces as uncaughtException (child process)', TIMEOUT, async () => {
  const handled = await runChild(`
    const ctx = new lib.AioContext();
    ctx.attach();
    process.on('uncaughtException', (err) => {
      console.log('caught ' + err.message);
      ctx.bhScheduleOneshot(() => {
        console.log('still dispatching');
        ctx.close();
      });
    });
    ctx.bhNew(() => { throw new Error('boom'); }).schedule();`);
  assert.equal(handled.signal, null);
  assert.equal(handled.code, 0, handled.stderr);
  assert.equal(handled.stdout, 'caught boom\nstill dispatching\n');

  const unhandled = await runChild(`
    const ctx = new lib.AioContext();
    ctx.attach();
    ctx.bhNew(() => { throw new Error('boom'); }).schedule();`);
  assert.equal(unhandled.signal, null, 'no abort');
  assert.equal(unhandled.code, 1);
  assert.match(unhandled.stderr, /Error: boom/);
});

test('an fd the loop cannot watch is reported as uncaughtException; the rest still runs (child process)', TIMEOUT, async () => {
  // epoll refuses regular files (EPERM); ppoll, and so poll(), reports them always ready.
  const r = await runChild(`
    const ctx = new lib.AioContext();
    ctx.attach();
    const file = require('node:fs').openSync(process.execPath, 'r');
    process.on('uncaughtException', (err) => {
      console.log(err.code + ' ' + err.syscall);
      ctx.bhScheduleOneshot(() => console.log('bh ran'));
    });
    ctx.setFdHandler(file, {
      read: () => {
        console.log('file handler ran');
        ctx.close();
      },
    });`);
  assert.equal(r.signal, null);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'EPERM uv_poll_init\nbh ran\nfile handler ran\n');
});

test('inside a worker: attached there, driven from the main thread, exits cleanly with no leaked fds', TIMEOUT, async (t) => {
  const before = openFds();
  const [r, w] = sys.pipe2();
  const thread = startWorker(
    `const ctx = new lib.AioContext();
    const attachment = ctx.attach();
    let pings = 0;
    const ping = ctx.bhNew(() => send({ ping: ++pings }));
    const stop = ctx.bhNew(() => {
      ctx.close();
      send({ attached: attachment.attached });
    });
    ctx.setFdHandler(data.fd, {
      read: (fd) => {
        lib.sys.read(fd, Buffer.alloc(64));
        send({ read: true });
      },
    });
    // The body returns now, and no receive() is pending: only the attachment keeps this
    // worker alive.
    send({ ping: ping.ref(), stop: stop.ref() });`,
    { fd: r },
    { test: t },
  );
  const refs = (await thread.next()) as { ping: unknown; stop: unknown };
  for (let i = 1; i <= 3; i++) {
    BhRef.from(refs.ping).schedule();
    assert.deepEqual(await thread.next(), { ping: i });
  }
  sys.write(w, Buffer.from('x'));
  assert.deepEqual(await thread.next(), { read: true });
  BhRef.from(refs.stop).schedule();
  assert.deepEqual(await thread.next(), { attached: false });
  assert.equal(await thread.exited, 0, 'the worker ended by itself once detached');
  sys.close(r);
  sys.close(w);
  assert.equal(openFds(), before);
});

for (const how of ['terminate', 'process.exit'] as const) {
  test(`a worker that exits while attached (${how}) is detached by the env cleanup hook`, TIMEOUT, async (t) => {
    const before = openFds();
    const thread = startWorker(
      `const ctx = new lib.AioContext();
      ctx.attach();
      const bye = ctx.bhNew(() => process.exit(3));
      send({ ctx: ctx.ref(), bye: bye.ref() });`,
      undefined,
      { test: t },
    );
    const refs = await thread.next();
    if (how === 'terminate') void thread.terminate();
    else BhRef.from(refs.bye).schedule(); // process.exit() from inside the check callback
    assert.equal(await thread.exited, how === 'terminate' ? 1 : 3);
    // The worker never closed its context: the env cleanup hooks closed its eventfd and
    // detached it from the loop.
    assert.equal(AioContextRef.from(refs.ctx).stats.closed, true);
    assert.equal(openFds(), before);
  });
}
