// The doctor's report as GitHub-flavoured Markdown (for $GITHUB_STEP_SUMMARY).
import { environmentLines } from './render-text';
import { DoctorReport, LatencyBlock } from './types';

const ICON = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭️', error: '💥' } as const;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(r: DoctorReport): string {
  const out: string[] = [];
  out.push(`## aio-notify doctor: ${r.verdict} (exit ${r.exitCode})`, '');
  out.push(`${r.mode} run of aio-notify ${r.tool.version}, ${(r.durationMs / 1000).toFixed(1)} s, ${r.startedAt}`, '');
  for (const l of environmentLines(r.environment)) out.push(`- ${l}`);
  out.push('', '| # | check | verdict | summary |', '|---|---|---|---|');
  for (const c of r.checks) out.push(`| ${c.number} | ${cell(c.title)} | ${ICON[c.verdict]} ${c.verdict} | ${cell(c.summary)} |`);
  const notes = r.checks.flatMap((c) => c.notes.filter((n) => !n.includes('\n')).map((n) => `- check ${c.number}: ${n}`));
  if (notes.length) out.push('', ...notes);
  const blocks = r.checks.flatMap((c) =>
    c.id === 'wake-eventfd' || c.id === 'wake-sigio' ? ([c.details.native, c.details.js].filter(Boolean) as LatencyBlock[]) : [],
  );
  if (blocks.length) {
    out.push('', '| wake-up path | side | n | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | late | lost |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const b of blocks) {
      out.push(`| ${cell(b.path)} | ${b.side} | ${b.n} | ${b.p50} | ${b.p90} | ${b.p99} | ${b.p999} | ${b.max} | ${b.late} | ${b.lost} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
