// Adversarial tests of the loop (issue 8), one section per class of defect; docs/robustness.md
// names each class, the rule that closes it, and these tests.
import { test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AioContext, AioContextRef, BhRef, EventNotifier, sys } from '../../lib';
import { W } from '../../lib/aio/shared-state';
import { SLOTS_PER_CHUNK } from '../../lib/aio/bottom-half';
import { asleepForever, controlNotRun, EMULATED, fdsTo, LIB_PATH, startWorker } from '../support';

/**
 * A new empty scratch file, opened again and again until `done(fd)` says so for the last
 * descriptor (at most 65,536 times); all closed and removed when the test ends.
 */
function scratchFiles(t: TestContext, done: (fd: number) => boolean): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'aio-file-'));
  const path = join(dir, 'f');
  writeFileSync(path, '');
  const files: number[] = [];
  t.after(() => {
    for (const f of files) closeSync(f);
    rmSync(dir, { recursive: true });
  });
  do files.push(openSync(path, 'r+'));
  while (!done(files[files.length - 1]) && files.length < 65_536);
  return files;
}

function scratchFile(t: TestContext): number {
  return scratchFiles(t, () => true)[0];
}

/** Opens a scratch file again and again until a descriptor takes number `fd`. */
function openUntil(t: TestContext, fd: number): { files: number[]; hit: number } {
  // Linux hands out the lowest free number, so the freed one is taken after at most as many
  // opens as there are free numbers below it.
  const files = scratchFiles(t, (last) => last >= fd);
  return { files, hit: files.includes(fd) ? fd : -1 };
}

// --- Class: a descriptor released while other threads may still write it (defect 1) -------
// Every path that releases a context's eventfd makes its shared state closed first, behind
// the CLOSED/KICKERS fence: refs then throw ERR_AIO_CLOSED instead of writing 8 bytes into
// whatever file reuses the number (or sending a SIGIO that no relay takes any more).

const endings = [
  { name: 'attached, terminate()', attach: true, end: 'terminate' },
  { name: 'attached, process.exit() in a bottom half', attach: true, end: 'exit' },
  { name: 'asleep in ppoll, terminate() then a kick', attach: false, end: 'terminate' },
] as const;

for (const e of endings) {
  for (const sigioKick of [false, true]) {
    test(`stale fd: a context whose worker ended (${e.name}, sigioKick ${sigioKick}) is closed; no ref writes the reused number`, { timeout: 60_000 }, async (t) => {
      const w = startWorker(
        `const ctx = new lib.AioContext({ sigioKick: data.sigioKick });
        const bh = ctx.bhNew(() => {});
        const bye = ctx.bhNew(() => process.exit(3));
        send({ ctx: ctx.ref(), bh: bh.ref(), bye: bye.ref() });
        if (data.attach) ctx.attach();
        else for (;;) ctx.poll(true);`,
        { sigioKick, attach: e.attach },
        { test: t },
      );
      const refs = await w.next();
      const ref = AioContextRef.from(refs.ctx);
      const eventfd = new Int32Array(ref.sab)[W.EVENTFD];
      if (e.end === 'exit') BhRef.from(refs.bye).schedule();
      else {
        if (!e.attach) await asleepForever(ref);
        const terminated = w.terminate();
        // terminate() cannot interrupt a native ppoll: the kick ends the sleep. The sleep may
        // have ended already (a sigioKick context also wakes to a stray SIGIO record, e.g. a
        // late one of an earlier test's kick): then the thread is gone and the context closed.
        if (!e.attach) {
          try {
            ref.notify();
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ERR_AIO_CLOSED') throw err;
          }
        }
        await terminated;
      }
      await w.exited;
      assert.equal(ref.stats.closed, true, 'the shared state says closed');
      const { files, hit } = openUntil(t, eventfd);
      assert.equal(hit, eventfd, `a file took the freed eventfd number ${eventfd} (${files.length} opened)`);
      assert.throws(() => ref.notify(), { code: 'ERR_AIO_CLOSED' });
      assert.throws(() => BhRef.from(refs.bh).schedule(), { code: 'ERR_AIO_CLOSED' });
      assert.throws(() => ref.enableExternal(), { code: 'ERR_AIO_CLOSED' });
      assert.equal(fstatSync(hit).size, 0, 'nothing was written into the file that reused the number');
    });
  }
}

// --- Class: a failed switch of the wait mechanism leaves a context half switched (defect 3) --
// The move to epoll is all or nothing, and a context that cannot have epoll keeps serving
// every handler with ppoll.

/** 63 pipes with a byte waiting in each, handled by `ctx`; returns their fds. */
function readablePipes(t: TestContext, ctx: AioContext, count: number, served: Set<number>): number[] {
  const fds: number[] = [];
  for (let i = 0; i < count; i++) {
    const [r, w] = sys.pipe2();
    fds.push(r, w);
    sys.write(w, Buffer.from('x'));
    ctx.setFdHandler(r, {
      read: (fd) => {
        sys.read(fd, Buffer.alloc(8));
        served.add(fd);
      },
    });
  }
  t.after(() => fds.forEach((fd) => sys.close(fd)));
  return fds;
}

test('epoll fallback: a regular file among 64 handlers keeps the context on ppoll, serving every pipe', (t) => {
  const ctx = new AioContext({ sigioKick: false });
  t.after(() => ctx.close());
  const file = scratchFile(t); // epoll_ctl refuses regular files (EPERM)
  let fileRuns = 0;
  ctx.setFdHandler(file, { read: () => fileRuns++ }); // epoll_ctl refuses regular files (EPERM)
  const served = new Set<number>();
  readablePipes(t, ctx, 63, served);
  assert.equal(ctx.poll(false), true);
  assert.equal(served.size, 63, 'every readable pipe was served');
  assert.equal(fileRuns, 1, 'the regular file is always readable to ppoll');
  assert.equal(ctx.stats.epoll, false);
  // Still on ppoll, still serving, poll after poll.
  served.clear();
  assert.equal(ctx.poll(false), true);
  assert.equal(fileRuns, 2);
});

test('epoll fallback: a regular file added once the context waits with epoll moves it back to ppoll', (t) => {
  const ctx = new AioContext({ sigioKick: false });
  t.after(() => ctx.close());
  const served = new Set<number>();
  readablePipes(t, ctx, 64, served);
  ctx.poll(false);
  assert.equal(ctx.stats.epoll, true, 'positive control: 64 pipes move the context to epoll');
  assert.equal(served.size, 64);
  const file = scratchFile(t); // epoll_ctl refuses regular files (EPERM)
  let fileRuns = 0;
  ctx.setFdHandler(file, { read: () => fileRuns++ });
  assert.equal(ctx.stats.epoll, false);
  assert.equal(ctx.poll(false), true);
  assert.equal(fileRuns, 1);
  // Once the file's handler is gone, epoll may be had again.
  ctx.setFdHandler(file, null);
  ctx.poll(false);
  assert.equal(ctx.stats.epoll, true);
});

test('epoll fallback: a handler whose fd was closed (EBADF) does not stop the others being served', (t) => {
  const ctx = new AioContext({ sigioKick: false });
  t.after(() => ctx.close());
  const served = new Set<number>();
  readablePipes(t, ctx, 63, served);
  const [r, w] = sys.pipe2();
  ctx.setFdHandler(r, { read: () => {} });
  sys.close(r); // the handler stays, on a number nothing else holds now
  sys.close(w);
  ctx.poll(false);
  assert.equal(served.size, 63);
  assert.equal(ctx.stats.epoll, false);
});

test('epoll fallback: at the fd limit (ulimit -n) a context with 64 handlers serves them with ppoll', () => {
  const child = `
    const lib = require(${JSON.stringify(LIB_PATH)});
    const fs = require('node:fs');
    const ctx = new lib.AioContext({ sigioKick: false });
    const served = new Set();
    for (let i = 0; i < 64; i++) {
      const [r, w] = lib.sys.pipe2();
      lib.sys.write(w, Buffer.from('x'));
      ctx.setFdHandler(r, { read: (fd) => { lib.sys.read(fd, Buffer.alloc(8)); served.add(fd); } });
    }
    const hogs = [];
    try { for (;;) hogs.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    const out = [];
    for (let round = 0; round < 3; round++) { served.clear(); ctx.poll(false); out.push(served.size); }
    // Room again: the next change lets epoll in.
    for (const h of hogs.splice(0, 8)) fs.closeSync(h);
    ctx.setFdHandler(0, null);
    ctx.poll(false);
    console.log(JSON.stringify({ served: out, epollAfter: ctx.stats.epoll, hogs: hogs.length }));`;
  const r = spawnSync('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" -e "$0"`, child], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(out.hogs > 0, 'positive control: the child reached its fd limit');
  assert.deepEqual(out.served, [64, 0, 0], 'all 64 served in the first round, at the fd limit');
  assert.equal(out.epollAfter, true, 'epoll comes back once descriptors are free and the set changes');
});

// --- Class: the context's own descriptors taken as user input (defect 4) --------------------

test("own fds: setFdHandler() refuses the context's eventfd, relay pipe and epoll fd", (t) => {
  const ctx = new AioContext({ sigioKick: true });
  t.after(() => ctx.close());
  const words = new Int32Array(ctx.ref().sab);
  const own = [words[W.EVENTFD], words[W.RELAY_FD]];
  for (const fd of own) {
    assert.throws(() => ctx.setFdHandler(fd, { read: () => {} }), { code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' });
    assert.throws(() => ctx.setFdHandler(fd, null), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  const epollFds = () => fdsTo('anon_inode:[eventpoll]');
  const before = new Set(epollFds());
  const served = new Set<number>();
  readablePipes(t, ctx, 64, served);
  ctx.poll(false);
  assert.equal(ctx.stats.epoll, true);
  const epfd = epollFds().filter((fd) => !before.has(fd));
  assert.equal(epfd.length, 1, 'the context made one epoll instance');
  assert.throws(() => ctx.setFdHandler(epfd[0], null), { code: 'ERR_INVALID_ARG_VALUE' });
  // The wake-up path is intact after the refused calls.
  ctx.ref().notify();
  assert.equal(ctx.stats.notified, true);
  assert.equal(ctx.poll(false), false);
  assert.equal(ctx.stats.notified, false);
});

// --- Class: an identity reused while stale handles exist (defect 5) -------------------------

test('bh generations: a slot whose generations ran out retires; a stale BhRef never runs its successor', (t) => {
  const ctx = new AioContext({ sigioKick: false });
  t.after(() => ctx.close());
  const first = ctx.bhNew(() => {});
  const stale = first.ref();
  first.delete();
  ctx.poll(false);
  assert.throws(() => stale.schedule(), { code: 'ERR_AIO_CLOSED' });
  // Fast-forward the freed slot to its last generation, as 2^24 - 1 create/delete cycles
  // would (about a minute of bhScheduleOneshot() on one slot).
  const chunk = new Int32Array(stale.slots);
  const i = stale.index % SLOTS_PER_CHUNK;
  Atomics.store(chunk, i, -0x100); // generation 0xffffff, no flags
  const last = ctx.bhNew(() => {});
  assert.equal(last.ref().index, stale.index, 'the slot is reused for its last generation');
  last.delete();
  ctx.poll(false);
  let ran = 0;
  const next = ctx.bhNew(() => ran++);
  assert.notEqual(next.ref().index, stale.index, 'the slot retired instead of wrapping to generation 0');
  assert.throws(() => stale.schedule(), { code: 'ERR_AIO_CLOSED' });
  ctx.poll(false);
  assert.equal(ran, 0);
});

// --- Class: a counter that counts what it does not mean (defect 9) --------------------------

/** `kicks` cross-thread wake-ups of a context asleep in ppoll, each from a worker's ref. */
async function crossThreadWakes(t: TestContext, ctx: AioContext, kicks: number, storm = false): Promise<void> {
  const bh = ctx.bhNew(() => {});
  const done = new Int32Array(new SharedArrayBuffer(4));
  const w = startWorker(
    `const bh = lib.BhRef.from(data.bh);
    const ref = lib.AioContextRef.from(data.ctx);
    const done = new Int32Array(data.done);
    let sleeps = -1;
    for (let i = 0; i < data.kicks; i++) {
      // Wait for a new sleep of the home thread, so that every schedule needs a kick.
      for (let s = ref.stats; !(s.polling && s.sleeps > sleeps); s = ref.stats) Atomics.wait(done, 0, 0, 1);
      sleeps = ref.stats.sleeps;
      bh.schedule();
      if (data.storm) lib.sys.kill(process.pid, 'SIGIO'); // a SIGIO from outside the protocol
    }
    Atomics.store(done, 0, 1);`,
    { bh: bh.ref(), ctx: ctx.ref(), done: done.buffer, kicks, storm },
    { test: t },
  );
  // Sleeps bounded by a 1 s timer: a lost wake-up shows as a slow test, not a hang.
  const guard = ctx.timerNew(() => guard.mod(ctx.clockNs() + 1_000_000_000n));
  guard.mod(ctx.clockNs() + 1_000_000_000n);
  while (Atomics.load(done, 0) === 0) ctx.poll(true);
  guard.del();
  await w.done();
}

test('rescues: 0 on a healthy host, with two contexts and an outside SIGIO storm', { timeout: 120_000 }, async (t) => {
  const a = new AioContext({ sigioKick: true });
  const b = new AioContext({ sigioKick: true });
  t.after(() => {
    a.close();
    b.close();
  });
  await crossThreadWakes(t, a, 300, true);
  assert.ok(a.stats.sigioKicks > 0, 'positive control: the SIGIO path was used');
  assert.equal(a.stats.rescues, 0);
  assert.equal(b.stats.rescues, 0, "another context's kicks are not this one's rescues");
});

test('rescues: counted when the eventfd fails and the signal saves the sleep', { timeout: 120_000 }, async (t) => {
  if (EMULATED) {
    // qemu-user may re-raise a queued signal as SI_USER, dropping the value that tags a rescue.
    return controlNotRun(t, `${EMULATED}: the sigqueue value that tags a rescue may not survive emulation`);
  }
  const ctx = new AioContext({ sigioKick: true });
  const decoy = new EventNotifier(false);
  t.after(() => {
    ctx.close();
    decoy.close();
  });
  // A forced eventfd failure: kicks go to an eventfd nobody polls (what a lost write looks
  // like to the sleeper); only the SIGIO relay can end the sleep.
  Atomics.store(new Int32Array(ctx.ref().sab), W.EVENTFD, decoy.fd);
  await crossThreadWakes(t, ctx, 20);
  assert.ok(ctx.stats.rescues > 0, `rescues ${ctx.stats.rescues} for ${ctx.stats.sigioKicks} SIGIO kicks`);
});

// --- Class: use after close that silently works (defect 8) ----------------------------------

test('after close: timers, bottom halves and handlers throw ERR_AIO_CLOSED instead of arming', () => {
  const ctx = new AioContext({ sigioKick: false });
  const timer = ctx.timerNew(() => {});
  const bh = ctx.bhNew(() => {});
  ctx.close();
  assert.throws(() => timer.mod(1n), { code: 'ERR_AIO_CLOSED' });
  assert.equal(timer.pending, false);
  timer.del(); // harmless
  assert.throws(() => bh.schedule(), { code: 'ERR_AIO_CLOSED' });
  assert.throws(() => bh.cancel(), { code: 'ERR_AIO_CLOSED' });
  assert.throws(() => ctx.setFdHandler(0, null), { code: 'ERR_AIO_CLOSED' });
  assert.throws(() => ctx.poll(false), { code: 'ERR_AIO_CLOSED' });
});
