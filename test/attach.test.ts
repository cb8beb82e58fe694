// ctx.attach(): the thread's own Node event loop runs the context (QEMU's GSource path).
// Real eventfds, pipes, workers and child processes. No latency assertions: this suite
// also runs under qemu-user; a lost wake-up shows as a test that never finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AioContext, AioContextRef, BhRef, sys } from '../lib';
import { W } from '../lib/aio/shared-state';

const LIB = resolve(__dirname, '../lib');
const TIMEOUT = { timeout: 180_000 };

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A worker running `body` (CommonJS) with `lib` (the package) and `workerData` in scope. */
function worker(body: string, workerData: unknown = {}): Worker {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    const lib = require(${JSON.stringify(LIB)});
    ${body}`;
  return new Worker(code, { eval: true, workerData });
}

/** The worker's messages, in order, one per call. */
function inbox(w: Worker): () => Promise<unknown> {
  const queue: unknown[] = [];
  let waiting: ((m: unknown) => void) | null = null;
  w.on('message', (m) => {
    if (waiting) waiting(m);
    else queue.push(m);
    waiting = null;
  });
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((done) => (waiting = done)));
}

interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `body` in a child Node process with `lib` in scope; killed if it outlives `ms`. */
function child(body: string, ms = 120_000): Promise<ChildResult> {
  const script = `const lib = require(${JSON.stringify(LIB)});\n${body}`;
  return new Promise((done) => {
    execFile(process.execPath, ['-e', script], { timeout: ms }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; signal?: string }) | null;
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

test('main thread: a BhRef scheduled from a worker runs on the main loop, which stays responsive', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  try {
    // Nothing is due (the context's timeout is infinite): timers and immediates still run.
    let timeouts = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(5);
      timeouts++;
    }
    let immediates = 0;
    await new Promise<void>((done) => {
      const step = (): void => void (++immediates === 100 ? done() : setImmediate(step));
      setImmediate(step);
    });
    assert.equal(timeouts, 5);

    // Five rounds: the worker schedules, then waits until the main loop has run the bottom
    // half. No main-thread timer runs meanwhile, so only the eventfd kick can wake the loop.
    const ran = new Int32Array(new SharedArrayBuffer(4));
    const bh = ctx.bhNew(() => {
      Atomics.add(ran, 0, 1);
      Atomics.notify(ran, 0);
    });
    const w = worker(
      `const bh = lib.BhRef.from(workerData.bh);
      const deadline = Date.now() + 120000;
      for (let i = 1; i <= 5; i++) {
        bh.schedule();
        while (Atomics.load(workerData.ran, 0) < i) {
          if (Date.now() > deadline) process.exit(2);
          Atomics.wait(workerData.ran, 0, i - 1, 100);
        }
      }`,
      { bh: bh.ref(), ran },
    );
    const [code] = await once(w, 'exit');
    assert.equal(code, 0);
    assert.equal(Atomics.load(ran, 0), 5);
    assert.ok(ctx.stats.kicks > 0, 'the worker woke the sleeping loop through the eventfd');
  } finally {
    attachment.detach();
    ctx.close();
  }
});

test('fd handlers and timers run via the attachment', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
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

    const deadline = ctx.clockNs() + 50_000_000n;
    const firedAt = await new Promise<bigint>((done) => ctx.timerNew(() => done(ctx.clockNs())).mod(deadline));
    assert.ok(firedAt >= deadline, 'the timer ran at or after its deadline');
  } finally {
    attachment.detach();
    ctx.close();
    sys.close(r);
    sys.close(w);
  }
});

test('an external handler is not served while disabled, and is after enableExternal() from another thread', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  const [r, w] = sys.pipe2();
  const served = new Int32Array(new SharedArrayBuffer(4));
  try {
    const servedOnce = new Promise<void>((done) =>
      ctx.setFdHandler(r, {
        read: (fd) => {
          sys.read(fd, Buffer.alloc(64));
          Atomics.store(served, 0, 1);
          Atomics.notify(served, 0);
          done();
        },
        external: true,
      }),
    );
    ctx.disableExternal();
    sys.write(w, Buffer.from('x'));
    const polls = ctx.stats.polls;
    await sleep(300);
    assert.equal(Atomics.load(served, 0), 0, 'not served while disabled');
    // Its uv_poll was stopped: the loop sleeps instead of spinning on the readable fd.
    const rounds = ctx.stats.polls - polls;
    assert.ok(rounds < 50, `${rounds} loop rounds in 300 ms while the fd stayed readable`);

    // The worker stays alive (silent) until the handler ran, so only enableExternal()'s
    // kick can wake the main loop.
    const t = worker(
      `lib.AioContextRef.from(workerData.ctx).enableExternal();
      const deadline = Date.now() + 120000;
      while (Atomics.load(workerData.served, 0) === 0) {
        if (Date.now() > deadline) process.exit(2);
        Atomics.wait(workerData.served, 0, 0, 100);
      }`,
      { ctx: ctx.ref(), served },
    );
    await servedOnce;
    const [code] = await once(t, 'exit');
    assert.equal(code, 0);
  } finally {
    attachment.detach();
    ctx.close();
    sys.close(r);
    sys.close(w);
  }
});

test('an fd closed and reused within a round, with a new handler, is watched anew', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  let fds = sys.pipe2();
  try {
    // In its handler: remove it, close both ends, and watch a new pipe, which gets the
    // same fd numbers (the lowest free ones). Its file was never in the loop's epoll set.
    const [r, w] = fds;
    const reopened = new Promise<void>((done) =>
      ctx.setFdHandler(r, {
        read: () => {
          ctx.setFdHandler(r, null);
          sys.close(r);
          sys.close(w);
          fds = sys.pipe2();
          ctx.setFdHandler(fds[0], {
            read: (fd) => {
              sys.read(fd, Buffer.alloc(64));
              served();
            },
          });
          done();
        },
      }),
    );
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let served!: () => void;
    const servedOnce = new Promise<void>((done) => (served = done));
    sys.write(w, Buffer.from('x'));
    await reopened;
    assert.deepEqual(fds, [r, w], 'the numbers were reused');
    // A worker writes the new pipe and stays silent until served (its exit would wake the
    // main loop): only the new fd can wake it.
    const t = worker(
      `lib.sys.write(workerData.fd, Buffer.from('y'));
      const deadline = Date.now() + 120000;
      while (Atomics.load(workerData.flag, 0) === 0) {
        if (Date.now() > deadline) process.exit(2);
        Atomics.wait(workerData.flag, 0, 0, 100);
      }`,
      { fd: fds[1], flag },
    );
    await servedOnce;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    assert.deepEqual(await once(t, 'exit'), [0]);
  } finally {
    attachment.detach();
    ctx.close();
    for (const fd of fds) sys.close(fd);
  }
});

test('a handler on an fd in error runs every round until it removes itself, as under poll()', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  const [r, w] = sys.pipe2();
  sys.close(r); // the write end now polls POLLOUT | POLLERR, which makes libuv stop its uv_poll
  try {
    let runs = 0;
    await new Promise<void>((done) =>
      ctx.setFdHandler(w, {
        write: () => {
          if (++runs < 3) return;
          ctx.setFdHandler(w, null);
          done();
        },
      }),
    );
    assert.equal(runs, 3);
  } finally {
    attachment.detach();
    ctx.close();
    sys.close(w);
  }
});

test('detach() stops dispatch; one attachment at a time; close() detaches', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  try {
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
  } finally {
    ctx.close();
  }
});

test('callbacks run with MakeCallback: microtasks drain before the next macrotask', TIMEOUT, async () => {
  const ctx = new AioContext();
  const attachment = ctx.attach();
  try {
    const order: string[] = [];
    await new Promise<void>((done) =>
      ctx.bhScheduleOneshot(() => {
        setImmediate(() => {
          order.push('immediate');
          done();
        });
        void Promise.resolve().then(() => order.push('microtask'));
        process.nextTick(() => order.push('tick'));
      }),
    );
    assert.deepEqual(order, ['tick', 'microtask', 'immediate']);
  } finally {
    attachment.detach();
    ctx.close();
  }
});

test('unref() lets the process exit while attached (child process)', TIMEOUT, async () => {
  const r = await child(`
    const ctx = new lib.AioContext();
    const a = ctx.attach().unref();
    setTimeout(() => console.log('loop ran'), 10);
    process.on('exit', () => console.log('exit attached=' + a.attached));`);
  assert.equal(r.signal, null, 'exited by itself');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'loop ran\nexit attached=true\n');
});

test('ref() keeps the process alive until detach() (child process)', TIMEOUT, async () => {
  const r = await child(`
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
      { eval: true, workerData: { lib: ${JSON.stringify(LIB)}, bh: bh.ref() } }).unref();
    process.on('exit', () => console.log('exit attached=' + a.attached));`);
  assert.equal(r.signal, null, 'exited by itself once detached');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'bh ran\nexit attached=false\n');
});

test('an exception in a callback surfaces as uncaughtException (child process)', TIMEOUT, async () => {
  const handled = await child(`
    const ctx = new lib.AioContext();
    ctx.attach();
    process.on('uncaughtException', (err) => {
      console.log('caught ' + err.message);
      ctx.close();
    });
    ctx.bhNew(() => { throw new Error('boom'); }).schedule();`);
  assert.equal(handled.signal, null);
  assert.equal(handled.code, 0, handled.stderr);
  assert.equal(handled.stdout, 'caught boom\n');

  const unhandled = await child(`
    const ctx = new lib.AioContext();
    ctx.attach();
    ctx.bhNew(() => { throw new Error('boom'); }).schedule();`);
  assert.equal(unhandled.signal, null, 'no abort');
  assert.equal(unhandled.code, 1);
  assert.match(unhandled.stderr, /Error: boom/);
});

test('inside a worker: attached there, driven from the main thread, exits cleanly with no leaked fds', TIMEOUT, async () => {
  const before = fdCount();
  const [r, w] = sys.pipe2();
  const t = worker(
    `const ctx = new lib.AioContext();
    const attachment = ctx.attach();
    let pings = 0;
    const ping = ctx.bhNew(() => parentPort.postMessage({ ping: ++pings }));
    const stop = ctx.bhNew(() => {
      ctx.close();
      parentPort.postMessage({ attached: attachment.attached });
    });
    ctx.setFdHandler(workerData.fd, {
      read: (fd) => {
        lib.sys.read(fd, Buffer.alloc(64));
        parentPort.postMessage({ read: true });
      },
    });
    // No listener on parentPort: only the attachment keeps this worker alive.
    parentPort.postMessage({ ping: ping.ref(), stop: stop.ref() });`,
    { fd: r },
  );
  const exited = once(t, 'exit');
  const next = inbox(t);
  const refs = (await next()) as { ping: unknown; stop: unknown };
  for (let i = 1; i <= 3; i++) {
    BhRef.from(refs.ping).schedule();
    assert.deepEqual(await next(), { ping: i });
  }
  sys.write(w, Buffer.from('x'));
  assert.deepEqual(await next(), { read: true });
  BhRef.from(refs.stop).schedule();
  assert.deepEqual(await next(), { attached: false });
  const [code] = await exited;
  assert.equal(code, 0, 'the worker ended by itself once detached');
  sys.close(r);
  sys.close(w);
  assert.equal(fdCount(), before);
});

for (const how of ['terminate', 'process.exit'] as const) {
  test(`a worker that exits while attached (${how}) is detached by the env cleanup hook`, TIMEOUT, async () => {
    const before = fdCount();
    const t = worker(
      `const ctx = new lib.AioContext();
      ctx.attach();
      const bye = ctx.bhNew(() => process.exit(3));
      parentPort.postMessage({ ctx: ctx.ref(), bye: bye.ref() });`,
    );
    const exited = once(t, 'exit');
    const [refs] = await once(t, 'message');
    if (how === 'terminate') void t.terminate();
    else BhRef.from(refs.bye).schedule(); // process.exit() from inside the check callback
    const [code] = await exited;
    assert.equal(code, how === 'terminate' ? 1 : 3);
    // The worker never closed its context: its eventfd is the only fd left over.
    const words = new Int32Array(AioContextRef.from(refs.ctx).sab);
    sys.close(Atomics.load(words, W.EVENTFD));
    assert.equal(fdCount(), before);
  });
}
