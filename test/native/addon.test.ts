// The addons' native paths, driven hard through lib/sys: argument unpacking (TypedArray and
// DataView offsets, signal sets), eventfd and pipe I/O, ppoll over large pollfd buffers, errors
// thrown from C++, and the signal relay from several threads at once, workers exiting with
// relays still open included (the env cleanup hook); and workers that exit with state in both
// addons (core and tools), each torn down by its addon's one cleanup hook. npm test runs it with the normal build;
// scripts/sanitize.sh runs it with the AddressSanitizer + UndefinedBehaviorSanitizer build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AioContextRef, BhRef } from '../../lib';
import * as sys from '../../lib/sys';
import { native } from '../../lib/sys/native';
import { ADDONS } from '../../lib/sys/prebuilt';
import { harness } from '../../lib/tools/native';
import { openFds, runInWorker, startWorker, within } from '../support';

const wanted = process.env.AIO_NOTIFY_SANITIZER;
test('the addon under test is the sanitizer build when scripts/sanitize.sh runs us', {
  skip: wanted ? false : 'not a sanitizer run (scripts/sanitize.sh sets AIO_NOTIFY_SANITIZER)',
}, () => {
  assert.ok(wanted);
  const maps = readFileSync('/proc/self/maps', 'utf8');
  assert.match(maps, /libasan\.so/, 'the ASan runtime is not loaded');
  assert.match(maps, /libubsan\.so/, 'the UBSan runtime is not loaded');
  // Both addons: the core (lib/sys) and the tools' harnesses (loaded here for the check).
  assert.ok(harness, 'the tools addon loads');
  for (const name of ADDONS) {
    const addon = maps.split('\n').find((l) => l.endsWith(`/${name}.node`));
    assert.ok(addon, `${name}.node is not mapped`);
    assert.ok(addon.includes(wanted), `the ${name} addon mapped is ${addon.split(' ').pop()}, not under ${wanted}`);
  }
});

test('eventfd: counter, semaphore mode, overflow, close', () => {
  const fd = sys.eventfd(3);
  assert.equal(sys.eventfdRead(fd), 3n);
  assert.equal(sys.eventfdRead(fd), null);
  assert.equal(sys.eventfdWrite(fd, sys.EVENTFD_MAX), true);
  assert.equal(sys.eventfdWrite(fd, 1n), false); // would overflow: EAGAIN is a value
  assert.equal(sys.eventfdRead(fd), sys.EVENTFD_MAX);
  sys.close(fd);
  assert.throws(() => sys.close(fd), { code: 'EBADF', syscall: 'close' });
  const sem = sys.eventfd(2, { semaphore: true });
  assert.equal(sys.eventfdRead(sem), 1n);
  assert.equal(sys.eventfdRead(sem), 1n);
  assert.equal(sys.eventfdRead(sem), null);
  sys.close(sem);
  assert.throws(() => sys.eventfdRead(sem), { code: 'EBADF' });
});

test('pipes: reads and writes through every kind of view, at offsets', () => {
  const [r, w] = sys.pipe2();
  const backing = new ArrayBuffer(64);
  const bytes = new Uint8Array(backing);
  for (let i = 0; i < 64; i++) bytes[i] = i;
  const views: ArrayBufferView[] = [
    new Uint8Array(backing, 5, 7),
    new Uint16Array(backing, 6, 3),
    new Int32Array(backing, 8, 4),
    new Float64Array(backing, 16, 2),
    new BigUint64Array(backing, 24, 1),
    new DataView(backing, 33, 9),
    Buffer.from(backing, 41, 3),
  ];
  for (const view of views) {
    assert.equal(sys.write(w, view), view.byteLength);
    const out = new Uint8Array(view.byteLength + 8);
    assert.equal(sys.read(r, out), view.byteLength);
    assert.deepEqual(
      Array.from(out.subarray(0, view.byteLength)),
      Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)),
    );
  }
  assert.equal(sys.read(r, new Uint8Array(4)), null);
  assert.equal(sys.write(w, new Uint8Array(0)), 0);
  // Fill the pipe: a non-blocking write that would block is null.
  const chunk = new Uint8Array(65536);
  let total = 0;
  for (let n = sys.write(w, chunk); n !== null; n = sys.write(w, chunk)) total += n;
  assert.ok(total >= 4096);
  sys.close(w);
  let drained = 0;
  for (let n = sys.read(r, chunk); n !== null && n > 0; n = sys.read(r, chunk)) drained += n;
  assert.equal(drained, total);
  assert.equal(sys.read(r, chunk), 0); // end of file
  sys.close(r);
});

test('ppoll: large pollfd arrays, raw buffers, timeouts, sigmask', () => {
  const pipes = Array.from({ length: 300 }, () => sys.pipe2());
  const set = new sys.PollFdArray(1200);
  for (const [r, w] of pipes) {
    set.push(r, sys.POLLIN);
    set.push(w, sys.POLLOUT);
  }
  assert.equal(sys.ppoll(set, 0), 300); // every write end is writable
  sys.write(pipes[123][1], new Uint8Array([1]));
  assert.equal(sys.ppoll(set, 0n), 301);
  assert.equal(set.revents(246) & sys.POLLIN, sys.POLLIN);
  // Only the read ends: one ready, found with a timeout and a signal mask.
  const reads = new sys.PollFdArray(300);
  for (const [r] of pipes) reads.push(r, sys.POLLIN);
  assert.equal(sys.ppoll(reads, 1_000_000, ['SIGIO', 'SIGUSR2']), 1);
  assert.equal(reads.revents(123), sys.POLLIN);
  // A raw buffer: its byteLength is the entry count; an odd length is refused before C++.
  const raw = new Int32Array(4);
  raw[0] = pipes[123][0];
  raw[1] = sys.POLLIN;
  raw[2] = pipes[7][0];
  raw[3] = sys.POLLIN;
  assert.equal(sys.ppoll(raw, 0), 1);
  assert.throws(() => sys.ppoll(new Uint8Array(12), 0), { code: 'ERR_OUT_OF_RANGE' });
  // Straight into the addon: nfds beyond the buffer is refused there, not read out of bounds.
  assert.throws(() => native.ppoll(new Uint8Array(8), 2, 0, null), { code: 'EINVAL' });
  assert.throws(() => native.ppoll(new Uint8Array(8), 1, 0, [0]), { code: 'ERR_OUT_OF_RANGE' });
  assert.equal(sys.ppoll(new sys.PollFdArray(0), 1000), 0); // a short sleep on nothing
  const closed = new sys.PollFdArray(1);
  closed.push(1_000_000, sys.POLLIN);
  assert.equal(sys.ppoll(closed, 0), 1);
  assert.equal(closed.revents(0), sys.POLLNVAL);
  for (const [r, w] of pipes) {
    sys.close(r);
    sys.close(w);
  }
});

test('signals: mask, pending, kill probes, tgkill', () => {
  const before = sys.sigmask('SIG_BLOCK', ['SIGUSR2']);
  try {
    sys.tgkill(sys.getpid(), sys.gettid(), 'SIGUSR2');
    assert.ok(sys.sigpending().includes(12));
  } finally {
    // Take the pending SIGUSR2 through a relay before unblocking, so that it cannot kill us.
    const relay = sys.openSignalRelay(['SIGUSR2']);
    sys.sigmask('SIG_SETMASK', before);
    relay.close();
  }
  sys.kill(sys.getpid(), 0);
  assert.throws(() => sys.kill(2 ** 31 - 1, 0), { code: 'ESRCH', syscall: 'kill' });
  assert.throws(() => native.sigmask(99, []), { code: 'EINVAL' });
  assert.throws(() => native.relayOpen([65]), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => native.relayOpen([9]), { code: 'EINVAL', syscall: 'sigaction' });
});

test('relay: records, every slot, and back to the old disposition', async () => {
  const relays = [sys.openSignalRelay(), sys.openSignalRelay(['SIGIO', 'SIGUSR2'])];
  sys.kill(sys.getpid(), 'SIGIO');
  const wait = new sys.PollFdArray(1);
  wait.push(relays[1].fd, sys.POLLIN);
  assert.equal(sys.ppoll(wait, 5_000_000_000), 1);
  const records = relays[1].read();
  assert.ok(records.length >= 1);
  assert.equal(records[0].name, 'SIGIO');
  assert.equal(records[0].pid, sys.getpid());
  assert.equal(records[0].code, 0);
  // Fill the slot table; the next open fails with EMFILE and leaks nothing.
  const more: sys.SignalRelay[] = [];
  try {
    for (;;) more.push(sys.openSignalRelay(['SIGUSR2']));
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'EMFILE');
  }
  assert.equal(more.length + relays.length, 256);
  assert.equal(sys.relaySubscribers('SIGUSR2'), 1 + more.length);
  sys.kill(sys.getpid(), 'SIGUSR2');
  const last = new sys.PollFdArray(1);
  last.push(more[more.length - 1].fd, sys.POLLIN);
  assert.equal(sys.ppoll(last, 5_000_000_000), 1);
  for (const relay of more) relay.close();
  for (const relay of relays) relay.close();
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
  assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
  assert.throws(() => relays[0].read(), { code: 'ERR_AIO_CLOSED' });
});

test('relay: workers open, signal and exit with relays open, all at once', async () => {
  // The main thread holds a relay too, so no SIGIO can kill the process while workers come and go.
  const guard = sys.openSignalRelay(['SIGIO', 'SIGUSR2']);
  const worker = `
    let records = 0;
    for (let i = 0; i < data.rounds; i++) {
      const relay = sys.openSignalRelay(i % 2 ? ['SIGIO'] : ['SIGIO', 'SIGUSR2']);
      sys.kill(sys.getpid(), i % 5 ? 'SIGIO' : 'SIGUSR2');
      const set = new sys.PollFdArray(1);
      set.push(relay.fd, sys.POLLIN);
      sys.ppoll(set, 50_000_000);
      records += relay.read().length;
      if (i % 3) relay.close(); // the others stay open for the env cleanup hook
    }
    return records;
  `;
  const results = await Promise.all(Array.from({ length: 6 }, () => runInWorker(worker, { rounds: 40 })));
  for (const r of results) assert.equal(typeof r, 'number');
  assert.ok((results as number[]).reduce((a, b) => a + b, 0) > 0, 'no worker received a record');
  // Every worker has exited: their cleanup hooks closed what they left open.
  assert.equal(sys.relaySubscribers('SIGIO'), 1);
  assert.equal(sys.relaySubscribers('SIGUSR2'), 1);
  guard.drain();
  guard.close();
  assert.equal(sys.relaySubscribers('SIGIO'), 0);
});

test("both addons in workers that exit mid-run: each addon's one teardown runs and leaves nothing", async (t) => {
  // A worker holds state in both addons when it goes: harness runs in flight (tools), and an
  // attached context with the SIGIO kick, a relay and an owned eventfd (core). The core's one
  // teardown detaches, fences and closes, then closes the relays; the tools' one aborts and
  // joins every run. No timing is checked: the runs would last an hour unless aborted.
  const before = openFds();
  const guard = sys.openSignalRelay(['SIGIO', 'SIGUSR2']); // no stray SIGIO may kill us meanwhile
  for (const how of ['terminate', 'process.exit']) {
    const worker = startWorker(
      `const { nativeWake, litmus, nativeRace } = require(data.tools);
      const hour = { maxMs: 3_600_000, pin: 'none' };
      void nativeWake('eventfd', { samples: 10_000_000, ...hour });
      void litmus('both', { iterations: 1e12, ...hour });
      void nativeRace('correct', { races: 1e12, ...hour });
      const ctx = new lib.AioContext({ sigioKick: true });
      ctx.attach();
      sys.openSignalRelay(['SIGUSR2']);
      const bye = ctx.bhNew(() => process.exit(3));
      send({ ctx: ctx.ref(), bye: bye.ref() });`,
      { tools: require.resolve('../../lib/tools/harnesses') },
      { test: t },
    );
    const refs = await worker.next<{ ctx: unknown; bye: unknown }>();
    const code = how === 'terminate' ? await worker.terminate() : (BhRef.from(refs.bye).schedule(), await within(worker.exited, worker.timeoutMs, 'the worker exit'));
    assert.equal(code, how === 'terminate' ? 1 : 3, how);
    assert.equal(AioContextRef.from(refs.ctx).stats.closed, true, `${how}: the context is closed in its shared state`);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 1, `${how}: only the guard's relay is left`);
  }
  guard.drain();
  guard.close();
  assert.equal(openFds(), before, 'no descriptor leaked');
});

test("mainThread: the relay's main-thread test without node:worker_threads is Node's isMainThread", async () => {
  assert.equal(native.mainThread, true);
  const inWorker = await runInWorker<[boolean, boolean]>(
    `const { isMainThread } = require('node:worker_threads');
    return [require(data.native).native.mainThread, isMainThread];`,
    { native: require.resolve('../../lib/sys/native') },
  );
  assert.deepEqual(inWorker, [false, false]);
});
