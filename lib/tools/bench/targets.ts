// The targets as ratios within this run: each a line with the measured figure,
// the limit and PASS/MISS. They never decide the exit status (timing is noisy here).
import type { BenchReport, TargetLine } from './report';
import { fixed, formatBytes, formatNs } from './format';

type Figures = Omit<BenchReport, 'targets'>;

export function line(id: string, label: string, measured: number, limit: number, unit: string, detail: string): TargetLine {
  return { id, label, measured, limit, unit, pass: Number.isFinite(measured) && measured <= limit, detail };
}

export const RSS_LIMIT_BYTES = 5 * 1024 * 1024;
export const IMPORT_LIMIT_MS = 20;

export function evaluateTargets(r: Figures): TargetLine[] {
  const out: TargetLine[] = [];
  const wake = new Map(r.wake.rows.map((w) => [w.id, w]));
  const native = wake.get('native');
  const atomics = wake.get('atomics');
  for (const id of ['aio-main', 'aio-iothread']) {
    const aio = wake.get(id);
    if (!aio) continue;
    const name = id === 'aio-main' ? 'main -> IOThread' : 'IOThread -> IOThread';
    if (native) {
      out.push(
        line(`wake-${id}-vs-native`, `AioContext ${name} one-way p50 <= 1.3x native p50`, aio.p50Ns / native.p50Ns, 1.3, 'x',
          `${formatNs(aio.p50Ns)} / ${formatNs(native.p50Ns)}`),
      );
    }
    if (atomics) {
      out.push(
        line(`wake-${id}-vs-atomics`, `AioContext ${name} one-way p50 <= 1.2x Atomics.wait p50`, aio.p50Ns / atomics.p50Ns, 1.2, 'x',
          `${formatNs(aio.p50Ns)} / ${formatNs(atomics.p50Ns)}`),
      );
    }
  }
  const cost = new Map(r.fastPath.rows.map((c) => [c.id, c]));
  const load = cost.get('atomics-load');
  for (const id of ['notify-ctx', 'notify-ref']) {
    const c = cost.get(id);
    if (!c || !load) continue;
    out.push(
      line(`fast-path-${id}`, `${c.label.split(',')[0]} fast path <= 4x an Atomics.load loop iteration`, c.nsPerOp / load.nsPerOp, 4, 'x',
        `${formatNs(c.nsPerOp)} / ${formatNs(load.nsPerOp)}`),
    );
  }
  for (const c of r.coalesce.rows) {
    out.push(
      line(`coalesce-${c.notifiers}`, `<= 1 eventfd write per blocking poll, ${c.notifiers} notifier thread(s)`, c.kicksPerBlockingPoll, 1, 'writes/poll',
        `${c.kicks} writes / ${c.blockingPolls} poll(true) (${c.sleeps} slept: ${fixed(c.kicksPerSleep, 3)}/sleep)`),
    );
  }
  const poll = new Map(r.poll.rows.filter((p) => p.skipped === null).map((p) => [p.fds, p]));
  const p8 = poll.get(8);
  const p1024 = poll.get(1024);
  if (p8 && p1024) {
    out.push(
      line('poll-1024-vs-8', 'poll(false) with 1024 idle fds <= 3x with 8', p1024.idleNsPerOp / p8.idleNsPerOp, 3, 'x',
        `${formatNs(p1024.idleNsPerOp)} (${p1024.backend}) / ${formatNs(p8.idleNsPerOp)} (${p8.backend})`),
    );
  }
  const bh1 = r.bottomHalves.rows.find((b) => b.live === 1);
  const bhMost = r.bottomHalves.rows.find((b) => b.live === 100_000);
  if (bh1 && bhMost) {
    out.push(
      line('bh-100000-vs-1', 'a bottom-half round with 100,000 live bottom halves <= 1.5x with 1', bhMost.nsPerRound / bh1.nsPerRound, 1.5, 'x',
        `${formatNs(bhMost.nsPerRound)} / ${formatNs(bh1.nsPerRound)}`),
    );
  }
  for (const m of r.memory.rows) {
    out.push(
      line(`rss-${m.id}`, `RSS growth <= 5 MiB over ${m.cycles} ${m.id === 'bh-poll' ? 'bh.schedule/poll' : 'notify/poll'} cycles`, m.rssGrowth / RSS_LIMIT_BYTES, 1, 'x limit',
        `${formatBytes(m.rssGrowth)} (heap after GC ${formatBytes(m.heapDelta)})`),
    );
    out.push(
      line(`alloc-${m.id}`, `no allocation per ${m.id === 'bh-poll' ? 'bh.schedule/poll' : 'notify/poll'} cycle (< 1 byte/cycle)`, m.allocBytesPerCycle, 1, 'bytes/cycle',
        `${fixed(m.allocBytesPerCycle, 1)} bytes/cycle`),
    );
  }
  const lib = r.importCost.rows.find((row) => row.id === 'library');
  const bare = r.importCost.rows.find((row) => row.id === 'node');
  if (lib && bare) {
    out.push(
      line('import-library', `require('aio-notify') <= ${IMPORT_LIMIT_MS} ms over bare Node's start (median of ${r.importCost.runs})`, lib.overNodeMs,
        IMPORT_LIMIT_MS, 'ms', `${fixed(lib.medianMs, 1)} ms / ${fixed(bare.medianMs, 1)} ms`),
    );
  }
  return out;
}
