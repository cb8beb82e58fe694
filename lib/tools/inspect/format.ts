// `aio-notify inspect` as text: threads, aio-notify contexts, findings.
import { paint, Style } from '../doctor/style';
import { InspectReport, ThreadView } from './report';

function timeout(t: ThreadView): string {
  if (t.status === 'running') return '';
  if (!t.timeout) return t.status === 'syscall' ? '?' : '';
  if (t.timeout.infinite) return 'infinite';
  if (t.timeout.ns === null) return 'deadline';
  const ms = Math.abs(t.timeout.ns) >= 1e10 ? `${(t.timeout.ns / 1e9).toFixed(0)} s` : `${(t.timeout.ns / 1e6).toFixed(1)} ms`;
  if (t.timeout.leftAfterStop) return `${ms} left`;
  return t.timeout.absolute ? `in ${ms}` : ms;
}

function waitOf(t: ThreadView): string {
  if (t.state === 'Z' || t.state === 'X') return 'exited';
  if (t.status === 'running') return 'running';
  if (t.status === 'user') return `off-CPU (${t.wchan})`;
  return t.syscall ?? '?';
}

function watching(t: ThreadView): string {
  if (t.futex && t.futex.words.length) {
    return t.futex.words
      .slice(0, 4)
      .map((w) => `${w.address} expects ${w.expected}, holds ${w.current ?? '?'}${w.current !== null && w.current !== w.expected ? ' CHANGED' : ''}`)
      .join(', ');
  }
  const shown = t.watched.slice(0, 8).map((w) => {
    const count = w.eventfdCount !== null ? `=${w.eventfdCount}` : '';
    const ready = w.ready === true ? ' READY' : '';
    const via = w.via !== null ? `@${w.via}` : '';
    return `${w.fd}${via} ${w.kind}${count}${ready}`;
  });
  if (t.watched.length > 8) shown.push(`+${t.watched.length - 8} more`);
  return shown.join(', ');
}

export function renderInspect(r: InspectReport, style: Style): string {
  const out: string[] = [];
  out.push(
    paint(style, 'bold', `process ${r.pid} (${r.name})`) +
      ` · ${r.kernelArch} · ${r.threads.length} threads · ${r.fds.length} fds · ${r.samples} sample(s) over ${r.spanMs} ms (stall threshold ${r.stallMs} ms)`,
  );
  out.push('', paint(style, 'bold', 'Threads'), `  ${'tid'.padEnd(8)} ${'st'.padEnd(3)} ${'comm'.padEnd(16)} ${'waiting in'.padEnd(16)} ${'timeout'.padEnd(10)} watching`);
  for (const t of r.threads) {
    out.push(`  ${String(t.tid).padEnd(8)} ${t.state.padEnd(3)} ${t.comm.slice(0, 16).padEnd(16)} ${waitOf(t).padEnd(16)} ${timeout(t).padEnd(10)} ${watching(t)}`.trimEnd());
    if (t.role) out.push(paint(style, 'dim', `           ${t.role}`));
    if (t.note) out.push(paint(style, 'dim', `           ${t.note}`));
  }
  if (r.contexts.length) {
    out.push('', paint(style, 'bold', 'aio-notify contexts (state beacons)'));
    for (const c of r.contexts) {
      const rep = c.report;
      const verdict = !c.valid ? `unreadable: ${c.note}` : rep ? `${rep.verdict.toUpperCase()} (${rep.cause})` : '?';
      out.push(`  ${c.kind} "${c.label}" at ${c.address}: home ${c.homeTid}, eventfd ${c.eventfd}: ${verdict}`);
      if (rep && rep.verdict !== 'ok') {
        const d = rep.dump;
        out.push(
          `    asleep ${rep.asleepMs.toFixed(0)} ms · notify_me ${d.notifyMe} · notified ${d.notified} · external disable count ${d.externalDisableCnt} · ` +
            `pending bottom halves ${d.pendingBottomHalves} · poll timeout ${d.pollTimeout} · kicks since the poll began ${d.kicksSincePollStart ?? '?'}`,
        );
        for (const p of rep.pending) out.push(`    pending: ${p.detail}`);
      }
    }
  }
  out.push('', paint(style, 'bold', 'Findings'));
  if (r.findings.length === 0) {
    out.push('  none: no thread is parked with a ready fd or a changed futex word, no eventfd holds an unread wake-up');
  }
  for (const f of r.findings) {
    const tag =
      f.severity === 'error' ? paint(style, 'red', 'LOST ') : f.severity === 'warning' ? paint(style, 'yellow', 'LATE ') : paint(style, 'dim', 'INFO ');
    out.push(`  ${tag} ${f.message}`);
    if (f.causes.length) out.push(paint(style, 'dim', `        candidate causes: ${f.causes.map((c, i) => `(${i + 1}) ${c}`).join('; ')}`));
  }
  for (const w of r.warnings) out.push(paint(style, 'dim', `  note: ${w}`));
  const late = r.findings.some((f) => f.verdict === 'late');
  out.push(
    '',
    r.flagged
      ? paint(style, 'red', 'Flagged: a lost wake-up (exit 1)')
      : paint(style, 'green', `Not flagged (exit 0)${late ? ': late wake-ups only, they arrive once their threads run' : ''}`),
  );
  return `${out.join('\n')}\n`;
}
