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
import { nativeWake } from '../../lib/tools/harnesses';
import { FULL, QUICK } from '../../lib/tools/bench/options';
import type { BenchReport, PlacementFigures, WakeRow } from '../../lib/tools/bench/report';
import { renderReport } from '../../lib/tools/bench/table';
import { evaluateTargets, MIN_PLACEMENT_SAMPLES } from '../../lib/tools/bench/targets';
import { placementOf } from '../../lib/tools/bench/wake/interleave';

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
  for (const heading of ['Sleeping one-way wake-up', 'By placement', 'notify() fast path', 'Coalescing', 'poll(false) cost', 'Memory', 'Import cost', 'Targets']) {
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
  assert.deepEqual(ids, ['native', 'native-split', 'native-same', 'native-spin', 'aio-main', 'aio-iothread', 'atomics', 'message-port']);
  for (const w of r.wake.rows) {
    assert.ok(isCount(w.n) && w.n <= 5, w.id);
    assert.ok(isFigure(w.p50Ns) && isFigure(w.p99Ns) && isFigure(w.maxNs), w.id);
    // Percentiles of one sample set are ordered, whatever the timing.
    if (w.n > 0 && isNumber(w.p50Ns)) assert.ok(w.p99Ns >= w.p50Ns && w.maxNs >= w.p99Ns, w.id);
    // Every sample is in one placement class (or its CPUs are unknown).
    const { sameCpu, crossCpu, unknown } = w.placement;
    assert.ok(isCount(sameCpu.n) && isCount(crossCpu.n) && isCount(unknown), w.id);
    assert.equal(sameCpu.n + crossCpu.n + unknown, w.n, w.id);
    for (const f of [sameCpu, crossCpu]) assert.ok(isFigure(f.share) && isFigure(f.p50Ns), w.id);
    if (sameCpu.n + crossCpu.n > 0) assert.ok(Math.abs(sameCpu.share + crossCpu.share - 1) < 1e-9, w.id);
  }
  // How each row ran: the native floor and its pinned companions send as JavaScript does.
  assert.deepEqual(r.wake.rows.map((w) => [w.id, w.pin, w.sender]), [
    ['native', 'none', 'js'], ['native-split', 'split', 'js'], ['native-same', 'same', 'js'], ['native-spin', 'none', 'spin'],
    ['aio-main', 'none', null], ['aio-iothread', 'none', null], ['atomics', 'none', null], ['message-port', 'none', null],
  ]);
  // A row pinned to one CPU has no other placement (x64 only: under qemu-user, affinity and
  // getcpu go to the host).
  if (process.arch === 'x64') assert.equal(r.wake.rows.find((w) => w.id === 'native-same')?.placement.crossCpu.n, 0);
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
  for (const id of ['wake-floor', 'wake-aio-main-vs-atomics', 'wake-aio-iothread-vs-atomics',
    'fast-path-notify-ctx', 'fast-path-notify-ref', 'coalesce-1', 'coalesce-4', 'rss-notify-poll', 'alloc-notify-poll', 'import-library']) {
    const t = targets.get(id);
    assert.ok(t, id);
    assert.ok(isFigure(t.measured) && isNumber(t.limit) && typeof t.pass === 'boolean' && typeof t.detail === 'string', id);
    // A figure that could not be measured never passes its target.
    if (t.measured === null) assert.equal(t.pass, false, id);
  }
  assert.ok(!targets.has('poll-1024-vs-8'), 'no 1024-fd figure was asked for');
  // 5 samples per row: too few for any placement to be compared, and the floor check says so.
  assert.ok(![...targets.keys()].some((id) => /^wake-.*-vs-native-/.test(id)));
  assert.equal(targets.get('wake-floor')?.pass, false);
  assert.match(targets.get('wake-floor')?.detail ?? '', /^nothing to compare/);
});

/** A wake-up row of `same` and `cross` p50s (in µs) and sample counts, for the targets' logic. */
function row(id: string, same: [number, number], cross: [number, number], pin: WakeRow['pin'] = 'none'): WakeRow {
  const fig = ([p50Us, n]: [number, number]): PlacementFigures => ({ n, share: n / (same[1] + cross[1]), p50Ns: n ? p50Us * 1e3 : NaN, p50IntervalNs: null });
  return {
    id, label: id, pin, sender: id.startsWith('native') ? 'js' : null, n: same[1] + cross[1], p50Ns: 1, p90Ns: 1, p99Ns: 1, maxNs: 1,
    p50IntervalNs: null, lost: 0, placement: { sameCpu: fig(same), crossCpu: fig(cross), unknown: 0 },
  };
}

test('bench targets: AioContext is compared with the native floor placement by placement, and the floor must be one', () => {
  const many = MIN_PLACEMENT_SAMPLES;
  const few = MIN_PLACEMENT_SAMPLES - 1;
  const targets = (rows: WakeRow[]) =>
    new Map(evaluateTargets({ wake: { rows }, fastPath: { rows: [] }, coalesce: { rows: [] }, poll: { rows: [] }, bottomHalves: { rows: [] },
      memory: { rows: [] }, importCost: { rows: [], runs: 0 } } as unknown as Omit<BenchReport, 'targets'>).map((t) => [t.id, t]));
  // The floor had enough same-CPU samples but too few cross-CPU ones: the pinned two-CPU row stands in.
  let t = targets([row('native', [8, many], [40, few]), row('native-split', [0, 0], [36, many], 'split'), row('native-same', [7, many], [0, 0], 'same'),
    row('aio-main', [16, many], [45, many]), row('aio-iothread', [12, many], [30, few])]);
  assert.equal(t.get('wake-aio-main-vs-native-same')?.measured, 2);
  assert.match(t.get('wake-aio-main-vs-native-same')?.detail ?? '', /the floor/);
  assert.equal(t.get('wake-aio-main-vs-native-cross')?.measured, 45 / 36);
  assert.match(t.get('wake-aio-main-vs-native-cross')?.detail ?? '', /pinned to two CPUs/);
  assert.equal(t.get('wake-aio-iothread-vs-native-same')?.measured, 1.5);
  assert.ok(!t.has('wake-aio-iothread-vs-native-cross'), 'too few cross-CPU AioContext samples to compare');
  const floor = t.get('wake-floor');
  assert.equal(floor?.pass, true);
  assert.equal(floor?.measured, 36 / 45); // the lowest ratio, 1.25x, inverted
  assert.match(floor?.detail ?? '', /lowest of 3: 1\.25x \(main -> IOThread other CPU\); not compared: IOThread -> IOThread other CPU/);
  // A JavaScript path faster than the native floor of the same placement: the floor check misses.
  t = targets([row('native', [8, many], [40, many]), row('aio-main', [7, many], [45, many]), row('aio-iothread', [9, many], [50, many])]);
  assert.equal(t.get('wake-floor')?.pass, false);
  assert.match(t.get('wake-floor')?.detail ?? '', /0\.88x \(main -> IOThread same CPU\)/);
  // Within noise (>= 0.95x) still passes.
  t = targets([row('native', [8, many], [40, many]), row('aio-main', [7.7, many], [45, many])]);
  assert.equal(t.get('wake-floor')?.pass, true);
});

test('placementOf: samples split by whether the sender and the receiver were on one CPU', () => {
  const p = placementOf({ latencies: [10, 20, 30, 40, 50], sendCpus: [0, 0, 1, -1, 1], wakeCpus: [0, 1, 1, 0, 0] });
  assert.deepEqual([p.sameCpu.n, p.crossCpu.n, p.unknown], [2, 2, 1]);
  assert.equal(p.sameCpu.share, 0.5);
  assert.equal(p.sameCpu.p50Ns, 20);
  assert.equal(p.crossCpu.p50Ns, 35);
});

test("native wake-up with the JavaScript paths' sender: one sample and both CPUs per round, none lost", { timeout: 120_000 }, async () => {
  const r = await nativeWake('eventfd', { samples: 200, gapUs: 50, boundMs: 1000, maxMs: 60_000, pin: 'none', sender: 'js' });
  assert.equal(r.lost, 0);
  if (!r.aborted) assert.equal(r.latencies.length, 200);
  assert.equal(r.sendCpus.length, r.latencies.length);
  assert.equal(r.wakeCpus.length, r.latencies.length);
  assert.ok(r.latencies.every((ns) => ns > 0 && Number.isFinite(ns)));
  assert.ok([...r.sendCpus, ...r.wakeCpus].every((c) => Number.isInteger(c) && c >= -1));
  assert.throws(() => nativeWake('eventfd', { sender: 'sleep' as never }), { code: 'ERR_OUT_OF_RANGE' });
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
