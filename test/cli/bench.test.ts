// Smoke test of `npm run bench`: a --quick run with tiny sample counts prints one JSON
// report of the documented shape. No assertion on time, nor on a measurement coming out:
// on a loaded machine or under qemu-user a 30 ms window may see no blocking poll, and a
// figure that could not be measured is null (n/a). What is asserted is what the design
// promises whatever the timing: the shape, and the coalescing bound on what was counted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseBenchArgs, runBenchCli } from '../../lib/cli/bench';
import { FULL, QUICK } from '../../lib/tools/bench/options';
import type { BenchReport } from '../../lib/tools/bench/report';
import { renderReport } from '../../lib/tools/bench/table';

const RUN = join(__dirname, '..', '..', 'lib', 'cli', 'run-bench.js');
const run = promisify(execFile);

const TINY = ['--quick', '--json', '--quiet', '--rounds=1', '--samples=5', '--warmup=5', '--iterations=500', '--repeats=1', '--coalesce-ms=30', '--fds=8,64', '--cycles=2000', '--calls=5', '--messages=400'];

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

/** A figure: a number, or null when it could not be measured (NaN and Infinity after JSON). */
function isFigure(v: unknown): boolean {
  return v === null || isNumber(v);
}

const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;

test('bench --quick --json: one report with every section, and its table', { timeout: 180_000 }, async () => {
  const { stdout } = await run(process.execPath, [RUN, ...TINY], { timeout: 170_000, maxBuffer: 8 << 20 });
  const r = JSON.parse(stdout) as BenchReport;
  // The table (what the CLI prints without --json) is rendered from the same report.
  const table = renderReport(r);
  for (const heading of ['Sleeping one-way wake-up', 'notify() fast path', 'Coalescing', 'poll(false) cost', 'Memory', 'Import cost', 'Targets']) {
    assert.ok(table.includes(heading), heading);
  }
  assert.match(table, /\b(PASS|MISS)\b/);

  assert.equal(r.tool, 'aio-notify bench');
  assert.equal(r.version, 1);
  assert.equal(r.quick, true);
  assert.ok(r.command.startsWith('aio-notify bench --quick'));
  assert.ok(isNumber(r.elapsedMs));
  assert.equal(typeof r.environment.cpuModel, 'string');
  assert.ok(isNumber(r.environment.cores.online));
  assert.equal(typeof r.environment.hypervisor.present, 'boolean');
  assert.equal(r.loadAverage.start.length, 3);

  const ids = r.wake.rows.map((w) => w.id);
  for (const id of ['native', 'aio-main', 'aio-iothread', 'atomics', 'message-port']) assert.ok(ids.includes(id), id);
  for (const w of r.wake.rows) {
    assert.ok(isCount(w.n) && w.n <= 5, w.id);
    assert.ok(isFigure(w.p50Ns) && isFigure(w.p99Ns) && isFigure(w.maxNs), w.id);
    // Percentiles of one sample set are ordered, whatever the timing.
    if (w.n > 0 && isNumber(w.p50Ns)) assert.ok(w.p99Ns >= w.p50Ns && w.maxNs >= w.p99Ns, w.id);
  }
  assert.equal(r.wake.gapUs, 50);

  assert.deepEqual(r.fastPath.rows.map((c) => c.id), ['notify-ctx', 'notify-ref', 'atomics-load']);
  for (const c of r.fastPath.rows) assert.ok(isFigure(c.nsPerOp) && c.repeatsNs.length === 1, c.id);

  assert.deepEqual(r.coalesce.rows.map((c) => c.notifiers), [1, 4]);
  for (const c of r.coalesce.rows) {
    assert.ok(isCount(c.notifies) && isCount(c.kicks) && isCount(c.blockingPolls) && isCount(c.sleeps), `${c.notifiers}`);
    assert.ok(isFigure(c.notifiesPerSec) && isFigure(c.kicksPerBlockingPoll), `${c.notifiers}`);
    // The coalescing bound: at most one eventfd write per blocking poll, however many threads
    // notify (+1: a poll that began before the run's first snapshot may take one, --rounds=1).
    assert.ok(c.kicks <= c.blockingPolls + 1, `${c.notifiers} notifier(s): ${c.kicks} eventfd writes for ${c.blockingPolls} blocking polls`);
  }

  assert.deepEqual(r.poll.rows.map((p) => [p.fds, p.backend]), [[8, 'ppoll'], [64, 'epoll']]);
  for (const p of r.poll.rows) assert.ok(p.skipped === null && isFigure(p.idleNsPerOp) && isFigure(p.readyNsPerOp), `${p.fds}`);

  assert.deepEqual(r.memory.rows.map((m) => m.id), ['notify-poll', 'bh-poll']);
  for (const m of r.memory.rows) {
    assert.equal(m.cycles, 2000);
    for (const k of ['heapUsedBefore', 'heapUsedAfter', 'heapDelta', 'rssBefore', 'rssAfter', 'rssGrowth', 'allocBytesPerCycle'] as const) {
      assert.ok(isNumber(m[k]), k);
    }
  }

  // IOThread calls and the byte channel (lib/tools/bench/io.ts): rows of the asked size.
  const n = (r.io?.callRounds ?? 0) * 5;
  assert.deepEqual(r.io?.calls.map((c) => [c.id, c.n]), [['call-empty', n], ['mp-empty', n], ['call-1k', n], ['mp-1k', n]]);
  assert.deepEqual(r.io?.channel.map((c) => [c.id, c.messages]), [['channel-64', 400], ['port-64', 400], ['channel-4096', 100], ['port-4096', 100]]);
  assert.ok(r.io && isNumber(r.io.allocBytesPerMessage.bytes64) && isNumber(r.io.allocBytesPerMessage.bytes4k));
  assert.equal(r.importCost.runs, 7);
  assert.deepEqual(r.importCost.rows.map((row) => row.id), ['node', 'library', 'tools']);
  for (const row of r.importCost.rows) {
    assert.ok(row.runsMs.length === 7 && row.runsMs.every((ms) => isNumber(ms) && ms > 0), row.id);
    assert.ok(isNumber(row.medianMs) && isNumber(row.overNodeMs), row.id);
  }
  assert.equal(r.importCost.rows[0].overNodeMs, 0);

  const targets = new Map(r.targets.map((t) => [t.id, t]));
  for (const id of ['wake-aio-main-vs-native', 'wake-aio-main-vs-atomics', 'wake-aio-iothread-vs-native', 'wake-aio-iothread-vs-atomics',
    'fast-path-notify-ctx', 'coalesce-1', 'coalesce-4', 'rss-notify-poll', 'alloc-notify-poll', 'import-library']) {
    const t = targets.get(id);
    assert.ok(t, id);
    assert.ok(isFigure(t.measured) && isNumber(t.limit) && typeof t.pass === 'boolean' && typeof t.detail === 'string', id);
    // A figure that could not be measured never passes its target.
    if (t.measured === null) assert.equal(t.pass, false, id);
  }
  assert.ok(!targets.has('poll-1024-vs-8'), 'no 1024-fd figure was asked for');
});

test('bench: argument errors and --help (exit 2 and 0, no run)', async () => {
  const text: string[] = [];
  const io = { stdout: { write: (s: string) => text.push(s) }, stderr: { write: (s: string) => text.push(s) } };
  assert.equal(await runBenchCli(['--frobnicate'], io), 2);
  assert.match(text.join(''), /^aio-notify bench: unknown option '--frobnicate'\nRun 'aio-notify bench --help' for usage\.\n$/);
  assert.equal(await runBenchCli(['--samples=0'], io), 2);
  assert.equal(await runBenchCli(['--help'], io), 0);
  assert.match(text.join(''), /Usage: aio-notify bench/);
});

test('bench options: every one parses, as --name=value and as --name value, over the --quick sizes', () => {
  const { config, help, quiet } = parseBenchArgs([
    '--quick', '--json', '--quiet', '--rounds=2', '--samples', '3', '--warmup=0', '--gap-us=0', '--pin', 'split',
    '--iterations=7', '--repeats=9', '--coalesce-ms=11', '--fds=8,64', '--cycles', '13',
  ]);
  assert.deepEqual([help, quiet, config.quick, config.json], [false, true, true, true]);
  assert.deepEqual(config.wake, { rounds: 2, samples: 3, warmup: 0, gapUs: 0, pin: 'split' });
  assert.deepEqual(config.fastPath, { iterations: 7, repeats: 9 });
  assert.deepEqual(config.poll, { fds: [8, 64], iterations: 7, repeats: 9 });
  assert.deepEqual(config.coalesce, { ...QUICK.coalesce, durationMs: 11 });
  assert.deepEqual(config.memory, { cycles: 13 });
  const defaults = parseBenchArgs([]);
  assert.deepEqual({ ...defaults.config, quick: undefined, json: undefined }, { ...FULL, quick: undefined, json: undefined });
  assert.equal(parseBenchArgs(['-h']).help, true);
  // The defaults are copied, never changed in place.
  assert.equal(FULL.wake.rounds, 20);
  assert.equal(QUICK.poll.iterations, 5_000);
});
