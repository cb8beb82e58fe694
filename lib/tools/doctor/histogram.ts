// A latency histogram drawn in the terminal: log-scale rows (two per doubling), one bar
// column per distribution, so the native floor and the JavaScript path sit side by side.
import { fmtUs } from './blocks';
import { LatencyBlock } from './types';

const BAR = 24;

export function drawHistogram(blocks: LatencyBlock[], width = BAR): string[] {
  const rows = new Map<number, number[]>();
  blocks.forEach((b, col) => {
    for (const bin of b.histogram) {
      const row = rows.get(bin.toUs) ?? blocks.map(() => 0);
      row[col] += bin.count;
      rows.set(bin.toUs, row);
    }
  });
  const edges = [...rows.keys()].sort((a, b) => a - b);
  const max = Math.max(1, ...[...rows.values()].flat());
  const label = (b: LatencyBlock): string => `${b.side} ${b.path}`.slice(0, width + 7);
  const lines = [`  ${'latency'.padEnd(10)}  ${blocks.map((b) => label(b).padEnd(width + 8)).join('')}`.trimEnd()];
  for (const edge of edges) {
    const cells = rows.get(edge)!.map((count) => {
      const n = count === 0 ? 0 : Math.max(1, Math.round((count / max) * width));
      return `${'█'.repeat(n)}${' '.repeat(width - n)} ${String(count).padStart(6)} `;
    });
    lines.push(`  < ${fmtUs(edge).padEnd(8)}  ${cells.join('')}`.trimEnd());
  }
  return lines;
}
