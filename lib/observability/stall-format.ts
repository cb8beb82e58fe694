// A stall report as text lines: the verdict, why, what is pending, and the state dump.
import { StallReport } from './stall';

export function formatStall(r: StallReport): string[] {
  const d = r.dump;
  const lines = [
    `${r.verdict.toUpperCase()} wake-up (${r.cause}), home thread ${d.homeTid} asleep ${r.asleepMs.toFixed(0)} ms`,
    `  ${r.explanation}`,
  ];
  for (const p of r.pending) lines.push(`  pending: ${p.detail}`);
  lines.push(
    `  notify_me ${d.notifyMe} · notified ${d.notified} · external disable count ${d.externalDisableCnt} · ` +
      `pending bottom halves ${d.pendingBottomHalves} · poll timeout ${d.pollTimeout}`,
    `  kicks since the poll began ${d.kicksSincePollStart ?? '?'} · kicks ${d.kicks} · notifies ${d.notifies} · ` +
      `last kick ${d.lastKickAgoMs === null ? 'never' : `${d.lastKickAgoMs.toFixed(0)} ms ago`} · eventfd ${d.eventfdReadable === null ? '?' : d.eventfdReadable ? 'readable' : 'empty'}`,
    `  polled set: ${d.watched.map((w) => `fd ${w.fd} (events 0x${w.events.toString(16)})`).join(', ') || 'none'}`,
  );
  return lines;
}
