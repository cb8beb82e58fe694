// The CLI's dispatch, usage errors and `repro`, driven in-process through main().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { main } from '../bin/aio-notify';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, env: { NO_COLOR: '1' } });
  return { code, out, err };
}

test('help, version and usage errors', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /aio-notify doctor/);
  assert.match(help.out, /aio-notify inspect <pid>/);
  assert.match(help.out, /aio-notify repro <scenario>/);
  assert.match((await cli(['--version'])).out, /^\d+\.\d+\.\d+\n$/);
  for (const bad of [[], ['repro'], ['repro', 'nope'], ['repro', 'stop-flag', '--stall', 'x'], ['repro', 'stop-flag', '--duration', '3'], ['inspect', '-5']]) {
    const r = await cli(bad);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.out}`);
    assert.match(r.err, /^aio-notify: /);
  }
  const bench = await cli(['bench', '--bogus']);
  assert.equal(bench.code, 2);
  assert.match(bench.err, /^aio-notify bench: unknown option --bogus/);
});

test('repro --list names every replay', async () => {
  const r = await cli(['repro', '--list']);
  assert.equal(r.code, 0);
  for (const commit of ['eabc977973', '21a03d17f2', '321d1dba8b', '2362a28ea1', 'b37548fcd1']) assert.match(r.out, new RegExp(commit));
});

test('repro: the historical protocol hangs and is diagnosed (exit 0); the fixed one completes (exit 0)', { timeout: 120_000 }, async () => {
  const hung = await cli(['repro', 'stop-flag', '--stall', '100']);
  assert.equal(hung.code, 0, hung.out + hung.err);
  assert.match(hung.out, /LOST wake-up \(no-kick\)/);
  assert.match(hung.out, /pending: a stop was requested/);
  assert.match(hung.out, /Outcome: as expected/);
  const fixed = await cli(['repro', '2362a28ea1', '--fixed', '--json', '--stall', '100']);
  assert.equal(fixed.code, 0, fixed.err);
  const line = JSON.parse(fixed.out) as { pid: number; outcome: { variant: string; completed: boolean; pass: boolean } };
  assert.equal(line.pid, process.pid);
  assert.deepEqual([line.outcome.variant, line.outcome.completed, line.outcome.pass], ['fixed', true, true]);
});

test('repro --watch: live state lines and the HangWatchdog report', { timeout: 120_000 }, async () => {
  const r = await cli(['repro', 'enable-external', '--watch', '--duration', '1', '--stall', '100']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /\] home asleep \d+ ms/);
  assert.match(r.out, /HangWatchdog: LOST wake-up \(stale-fd-set\)/);
  assert.match(r.out, /external disable count 0/);
});
