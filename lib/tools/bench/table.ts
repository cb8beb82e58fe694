// The human-readable report: one table per measurement, then the targets.
import type { BenchReport, PlacementFigures } from './report';
import { fixed, formatBytes, formatNs, formatRate, table } from './format';
import { renderIo } from './io-report';

function placementCells(f: PlacementFigures): string[] {
  return [
    String(f.n),
    Number.isFinite(f.share) ? `${(f.share * 100).toFixed(0)}%` : '-',
    formatNs(f.p50Ns),
    f.p50IntervalNs ? `${formatNs(f.p50IntervalNs.lo)}-${formatNs(f.p50IntervalNs.hi)}` : '-',
  ];
}

export function renderReport(r: BenchReport): string {
  const e = r.environment;
  const out: string[] = [];
  out.push(`aio-notify bench${r.quick ? ' --quick' : ''} · ${r.startedAt} · ${(r.elapsedMs / 1000).toFixed(1)} s`);
  out.push(
    `${e.cpuModel} · ${e.cores.online} CPUs${e.cores.available < e.cores.online ? ` (${e.cores.available} usable by this process)` : ''} · Linux ${e.kernel.release} · ` +
      `${e.hypervisor.present ? `hypervisor${e.hypervisor.vendor ? ` (${e.hypervisor.vendor})` : ''}` : 'no hypervisor'} · ` +
      `cpuidle ${e.cpuidle.driver ?? '?'}${Object.keys(e.haltPoll).length ? ` (${Object.entries(e.haltPoll).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''} · Node ${e.node}`,
  );
  out.push(`load average ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at the start, ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at the end`);
  out.push('');

  const w = r.wake;
  out.push(`Sleeping one-way wake-up (${w.rounds} interleaved rounds x ${w.samplesPerRound} samples, ${w.gapUs} µs gap before each send)`);
  out.push(
    table(
      ['path', 'n', 'p50', 'p50 95% CI', 'p90', 'p99', 'max', 'lost'],
      w.rows.map((x) => [
        x.label,
        String(x.n),
        formatNs(x.p50Ns),
        x.p50IntervalNs ? `${formatNs(x.p50IntervalNs.lo)}-${formatNs(x.p50IntervalNs.hi)}` : '-',
        formatNs(x.p90Ns),
        formatNs(x.p99Ns),
        formatNs(x.maxNs),
        x.lost === null ? '-' : String(x.lost),
      ]),
    ),
  );
  out.push('');
  out.push("By placement: the sender's CPU just before its timestamp, the receiver's just after its own");
  out.push(
    table(
      ['path', 'same CPU n', 'share', 'p50', 'p50 95% CI', 'other CPU n', 'share', 'p50', 'p50 95% CI'],
      w.rows.map((x) => [x.label, ...placementCells(x.placement.sameCpu), ...placementCells(x.placement.crossCpu)]),
    ),
  );
  const unknown = w.rows.filter((x) => x.placement.unknown > 0);
  if (unknown.length) out.push(`CPU unknown (sched_getcpu failed): ${unknown.map((x) => `${x.id} ${x.placement.unknown}`).join(', ')}`);
  out.push('');

  const load = r.fastPath.rows.find((c) => c.id === 'atomics-load');
  out.push(`notify() fast path (${r.fastPath.iterations} calls per timing, median of ${r.config.fastPath.repeats})`);
  out.push(
    table(
      ['operation', 'ns/op', 'x Atomics.load'],
      r.fastPath.rows.map((c) => [c.label, fixed(c.nsPerOp, 2), load ? (c.nsPerOp / load.nsPerOp).toFixed(2) : '-']),
    ),
  );
  out.push('');

  out.push(`Coalescing: notifier threads at a sleeping IOThread (${r.config.coalesce.rounds} x ${r.config.coalesce.durationMs} ms each)`);
  out.push(
    table(
      ['notifiers', 'notifies/s', 'notifies', 'eventfd writes', 'blocking polls', 'writes/poll', 'slept', 'writes/sleep'],
      r.coalesce.rows.map((c) => [
        String(c.notifiers),
        formatRate(c.notifiesPerSec),
        String(c.notifies),
        String(c.kicks),
        String(c.blockingPolls),
        fixed(c.kicksPerBlockingPoll, 3),
        String(c.sleeps),
        fixed(c.kicksPerSleep, 3),
      ]),
    ),
  );
  out.push('');

  out.push(`poll(false) cost (${r.poll.iterations} polls per timing; epoll from ${r.poll.epollThreshold} handlers)`);
  const p8 = r.poll.rows.find((p) => p.fds === 8 && p.skipped === null);
  out.push(
    table(
      ['idle pipes', 'backend', 'all idle', 'x 8 idle', 'one ready'],
      r.poll.rows.map((p) =>
        p.skipped !== null
          ? [String(p.fds), p.backend, `skipped: ${p.skipped}`, '', '']
          : [String(p.fds), p.backend, formatNs(p.idleNsPerOp), p8 ? (p.idleNsPerOp / p8.idleNsPerOp).toFixed(2) : '-', formatNs(p.readyNsPerOp)],
      ),
    ),
  );
  out.push('');

  out.push(`Bottom-half round cost (bh.schedule() + poll(false); ${r.bottomHalves.iterations} rounds per timing)`);
  const bh1 = r.bottomHalves.rows.find((b) => b.live === 1);
  out.push(
    table(
      ['live bottom halves', 'per round', 'x 1 live'],
      r.bottomHalves.rows.map((b) => [String(b.live), formatNs(b.nsPerRound), bh1 ? (b.nsPerRound / bh1.nsPerRound).toFixed(2) : '-']),
    ),
  );
  out.push('');

  out.push('Memory (child node --expose-gc; heap after a forced GC)');
  out.push(
    table(
      ['cycle', 'cycles', 'heapUsed before', 'after', 'delta', 'RSS before', 'after', 'growth', 'alloc/cycle'],
      r.memory.rows.map((m) => [
        m.label,
        String(m.cycles),
        formatBytes(m.heapUsedBefore),
        formatBytes(m.heapUsedAfter),
        formatBytes(m.heapDelta),
        formatBytes(m.rssBefore),
        formatBytes(m.rssAfter),
        formatBytes(m.rssGrowth),
        `${fixed(m.allocBytesPerCycle, 1)} B`,
      ]),
    ),
  );
  out.push('');

  if (r.io) out.push(...renderIo(r.io), '');
  out.push(`Import cost (whole node -e processes, interleaved, median of ${r.importCost.runs})`);
  out.push(
    table(
      ['command', 'median', 'over bare Node'],
      r.importCost.rows.map((row) => [row.label, `${fixed(row.medianMs, 1)} ms`, row.id === 'node' ? '-' : `${fixed(row.overNodeMs, 1)} ms`]),
    ),
  );
  out.push('');

  out.push('Targets (ratios within this run; timing never sets the exit status)');
  out.push(
    table(
      ['target', 'measured', 'limit', 'result', 'from'],
      r.targets.map((t) => [t.label, `${fixed(t.measured, 2)} ${t.unit}`, `${t.limit} ${t.unit}`, t.pass ? 'PASS' : 'MISS', t.detail]),
    ),
  );
  return out.join('\n');
}
