// IOThread lifecycle bounds. Classes guarded (issue 8): "errors crossing threads lose their
// shape" (a setup result clone cannot copy, a setup that throws) and "lifecycle hangs"
// (timers left by setup, a setup that never returns, in JavaScript or asleep in ppoll).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitToStarter, IOThread, sys } from '../../lib';
import { LIB_PATH, openFds, runChild, sleep, waitFor, within } from '../support';

const LIB = JSON.stringify(LIB_PATH);
const dir = mkdtempSync(join(tmpdir(), 'aio-life-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let modules = 0;
/** A module file whose body is `source` (CommonJS, `lib` is aio-notify). */
function mod(source: string): string {
  const file = join(dir, `m${++modules}.js`);
  writeFileSync(file, `const lib = require(${LIB});\n${source}\n`);
  return file;
}


const BOUND = 30_000;

test('setup() returning what structured clone cannot copy rejects with a coded TypeError, not {}', async () => {
  for (const value of ['() => 1', "Symbol('s')", '{ f() {} }']) {
    const fds = openFds();
    const err = await IOThread.start({ module: mod(`exports.setup = () => (${value});`), sigioKick: false }).then(
      () => assert.fail('start() resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TypeError, `${value}: ${String(err)}`);
    assert.equal((err as { code?: string }).code, 'ERR_INVALID_RETURN_VALUE');
    assert.match((err as Error).message, /setup\(\) returned a value that cannot be structured-cloned/);
    await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: 'fds to be released' });
  }
});

test('a setup() that throws rejects start() with its class, code and remote stack', async () => {
  const m = mod("exports.setup = () => { throw Object.assign(new RangeError('bad device'), { code: 'ERR_NO_DEVICE', errno: 19 }); };");
  await assert.rejects(IOThread.start({ module: m, sigioKick: false }), (e: Error & { code: string; errno: number }) => {
    assert.ok(e instanceof RangeError);
    assert.equal(e.code, 'ERR_NO_DEVICE');
    assert.equal(e.errno, 19);
    assert.match(e.stack!, /m\d+\.js:\d+/);
    return true;
  });
  await assert.rejects(IOThread.start({ module: mod("exports.setup = async () => { throw 'plain'; };"), sigioKick: false }), {
    message: 'a non-Error value was thrown: plain',
  });
});

test('a module without setup() is a coded argument error', async () => {
  await assert.rejects(IOThread.start({ module: mod('exports.other = () => 1;'), sigioKick: false }), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
    message: /does not export a setup\(ctx, data\) function/,
  });
  await assert.rejects(IOThread.start({ module: mod('exports.setup = 5;'), sigioKick: false }), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('stop() ends a thread whose setup left an interval and an open server behind', async () => {
  const fds = openFds();
  const m = mod(`
    exports.setup = () => {
      setInterval(() => {}, 5);
      require('node:net').createServer().listen(0, '127.0.0.1');
      return {};
    };`);
  const t = await IOThread.start({ module: m, sigioKick: false });
  await within(t.stop(), BOUND, 'stop()');
  assert.equal(t.exited, true);
  await waitFor(() => openFds() === fds, { timeoutMs: 5_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});

test('start({ timeout }) ends a setup that never returns: spinning, blocked in Atomics.wait, asleep in ppoll', async () => {
  const setups = {
    spinning: 'exports.setup = () => { for (;;); };',
    atomicsWait: 'exports.setup = () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); };',
    // poll(true) with nothing scheduled: an infinite ppoll that terminate() alone cannot end.
    ppoll: 'exports.setup = (ctx) => { for (;;) ctx.poll(true); };',
  };
  for (const [kind, source] of Object.entries(setups)) {
    const fds = openFds();
    const started = IOThread.start({ module: mod(source), sigioKick: kind === 'ppoll', timeout: 300 });
    await within(assert.rejects(started, { code: 'ERR_AIO_TIMEOUT', message: /start\(\) timed out after 300 ms/ }), BOUND, `start() (${kind})`);
    await waitFor(() => openFds() === fds && sys.relaySubscribers('SIGIO') === 0, { timeoutMs: 20_000, what: `${kind}: the thread to end and release its fds` });
  }
});

test('start({ signal }): an abort ends the setup and rejects with an AbortError', async () => {
  const fds = openFds();
  const ac = new AbortController();
  const started = IOThread.start({ module: mod('exports.setup = (ctx) => { for (;;) ctx.poll(true); };'), sigioKick: false, signal: ac.signal });
  await sleep(50);
  ac.abort(new Error('user gave up'));
  await within(
    assert.rejects(started, (e: Error & { code: string; cause: Error }) => {
      assert.equal(e.name, 'AbortError');
      assert.equal(e.code, 'ABORT_ERR');
      assert.equal(e.cause.message, 'user gave up');
      return true;
    }),
    BOUND,
    'start()',
  );
  await assert.rejects(IOThread.start({ module: mod('exports.setup = () => 1;'), signal: AbortSignal.abort() }), { name: 'AbortError' });
  await waitFor(() => openFds() === fds, { timeoutMs: 20_000, what: () => `fd count back to ${fds} (now ${openFds()})` });
});

test('stop({ signal }) ends a thread stuck in a callback', async () => {
  const m = mod(`
    let ctx;
    exports.setup = (c) => { ctx = c; return {}; };
    exports.stuck = () => { for (;;); };`);
  const t = await IOThread.start({ module: m, sigioKick: false });
  const stuck = t.call('stuck').catch((e: { code?: string }) => e.code);
  const ac = new AbortController();
  const stopping = t.stop({ signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await within(assert.rejects(stopping, { name: 'AbortError', code: 'ABORT_ERR' }), BOUND, 'stop()');
  await waitFor(() => t.exited, { timeoutMs: 20_000, what: 'the thread to end' });
  assert.equal(await stuck, 'ERR_AIO_CLOSED');
  await t.stop(); // already ended: resolves
});

test('the process can exit after start() gave up on a setup that never returns', async () => {
  const r = await runChild(
    `require('node:fs').writeFileSync(data, 'exports.setup = (ctx) => { for (;;) ctx.poll(true); };');
    lib.IOThread.start({ module: data, timeout: 200 }).catch((e) => console.log(e.code));`,
    join(dir, 'forever.js'),
    { timeoutMs: BOUND },
  );
  assert.deepEqual({ code: r.code, signal: r.signal, stdout: r.stdout }, { code: 0, signal: null, stdout: 'ERR_AIO_TIMEOUT\n' });
});

test('start() and stop() reject bad bounds with coded argument errors', async () => {
  const m = mod('exports.setup = () => 1;');
  await assert.rejects(IOThread.start({ module: m, timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(IOThread.start({ module: m, timeout: '5' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(IOThread.start({ module: m, signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  const t = await IOThread.start({ module: m, sigioKick: false });
  await assert.rejects(t.stop('soon' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(t.stop({ timeout: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
  await t.stop({ timeout: BOUND });
  assert.equal(t.exited, true);
});

test('start() rejects a bad name, data clone cannot copy, and events sent before setup() returned', async () => {
  const m = mod('exports.setup = () => 1;');
  await assert.rejects(IOThread.start({ module: m, name: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(IOThread.start({ module: m, data: { f: () => 1 } }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /options\.data/ });
  await assert.rejects(IOThread.start({ module: mod("exports.setup = () => lib.emitToStarter('early');"), sigioKick: false }), {
    code: 'ERR_INVALID_STATE',
  });
  assert.throws(() => emitToStarter('x'), { code: 'ERR_INVALID_STATE' });
  assert.throws(() => emitToStarter(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(IOThread.start({ module: join(dir, 'missing.js'), sigioKick: false }), { code: 'MODULE_NOT_FOUND' });
});

test('an ES module works as the IOThread module: setup() and calls', async () => {
  const file = join(dir, 'device.mjs');
  writeFileSync(file, 'export function setup(ctx, data) { return { n: data.n }; }\nexport const twice = (x) => 2 * x;\n');
  const t = await IOThread.start({ module: file, data: { n: 7 }, sigioKick: false });
  try {
    assert.deepEqual(t.setupResult, { n: 7 });
    assert.equal(await t.call('twice', 21), 42);
  } finally {
    await t.stop();
  }
});
