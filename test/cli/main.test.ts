// The CLI's dispatch, usage errors and `repro`, driven in-process through main().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { main } from '../../bin/aio-notify';

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

test('help and version', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /aio-notify doctor/);
  assert.match(help.out, /aio-notify inspect <pid>/);
  assert.match(help.out, /aio-notify repro <scenario>/);
  assert.match((await cli(['--version'])).out, /^\d+\.\d+\.\d+\n$/);
  for (const command of ['doctor', 'inspect', 'repro', 'bench']) {
    const r = await cli([command, '--help']);
    assert.equal(r.code, 0, command);
    assert.match(r.out, new RegExp(`aio-notify ${command}`), command);
  }
});

// Every command's usage errors: exit 2, nothing on stdout, one message style (Node's own, as
// util.parseArgs words it: a lower-case first word) naming the command and where help is.
const USAGE_ERRORS: Array<[string[], string, RegExp]> = [
  [[], 'aio-notify', /^a command is needed$/],
  [['frob'], 'aio-notify', /^unknown command 'frob'$/],
  [['doctor', '--frobnicate'], 'aio-notify doctor', /^unknown option '--frobnicate'$/],
  [['doctor', 'extra'], 'aio-notify doctor', /^unexpected argument 'extra'$/],
  [['doctor', '--only'], 'aio-notify doctor', /^option '--only <value>' argument missing$/],
  [['doctor', '--json=yes'], 'aio-notify doctor', /^option '--json' does not take an argument$/],
  [['doctor', '--only', 'nope'], 'aio-notify doctor', /^unknown check 'nope'/],
  [['inspect'], 'aio-notify inspect', /^inspect needs exactly one pid$/],
  [['inspect', '-5'], 'aio-notify inspect', /^unknown option '-5'$/],
  [['inspect', '1', '--bogus'], 'aio-notify inspect', /^unknown option '--bogus'$/],
  [['inspect', '1', '--samples', 'x'], 'aio-notify inspect', /^--samples must be an integer, got 'x'$/],
  [['inspect', '1', '--watch=0'], 'aio-notify inspect', /^--watch must be between 1 and 86400, got 0$/],
  [['repro'], 'aio-notify repro', /^repro needs one scenario/],
  [['repro', 'nope'], 'aio-notify repro', /^unknown scenario 'nope'/],
  [['repro', 'stop-flag', '--stall', 'x'], 'aio-notify repro', /^--stall must be an integer, got 'x'$/],
  [['repro', 'stop-flag', '--duration', '3'], 'aio-notify repro', /^--duration goes with --watch$/],
  [['repro', 'stop-flag', '--bogus'], 'aio-notify repro', /^unknown option '--bogus'$/],
  [['bench', '--bogus'], 'aio-notify bench', /^unknown option '--bogus'$/],
  [['bench', 'extra'], 'aio-notify bench', /^unexpected argument 'extra'$/],
  [['bench', '--rounds'], 'aio-notify bench', /^option '--rounds <value>' argument missing$/],
  [['bench', '--quick=1'], 'aio-notify bench', /^option '--quick' does not take an argument$/],
  [['bench', '--samples=0'], 'aio-notify bench', /^--samples must be between 1 and \d+, got 0$/],
  [['bench', '--fds=8,x'], 'aio-notify bench', /^--fds must be an integer, got 'x'$/],
  [['bench', '--pin=all'], 'aio-notify bench', /^--pin must be none, split or same, got 'all'$/],
];

for (const [args, who, message] of USAGE_ERRORS) {
  test(`usage error: aio-notify ${args.join(' ')}`, async () => {
    const r = await cli(args);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.out, '');
    const lines = r.err.split('\n');
    assert.ok(lines[0].startsWith(`${who}: `), r.err);
    assert.match(lines[0].slice(who.length + 2), message);
    assert.ok(r.err.includes(`Run '${who} --help' for usage.\n`), r.err);
  });
}

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
