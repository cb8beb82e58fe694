// What loading the package costs a program: whole `node -e` processes, timed from outside,
// bare Node beside require('aio-notify') and require('aio-notify/tools'), interleaved round
// by round so that drift in the machine's speed falls on all three alike.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ImportRow } from './report';
import { median } from './timing';

/** Runs counted per command (the issue's "median of 7"), after one warm-up round. */
export const IMPORT_RUNS = 7;

/** The package root (package.json's directory), from dist/lib/tools/bench/. */
const PACKAGE_ROOT = join(__dirname, '..', '..', '..', '..');

const COMMANDS: ReadonlyArray<{ id: ImportRow['id']; label: string; code: string }> = [
  { id: 'node', label: 'node -e 0 (bare Node start)', code: '0' },
  { id: 'library', label: "node -e \"require('aio-notify')\"", code: "require('aio-notify')" },
  { id: 'tools', label: "node -e \"require('aio-notify/tools')\"", code: "require('aio-notify/tools')" },
];

/** Wall ms of one whole `node -e code` process, run in the package root (the name resolves to it). */
function timeNode(code: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', code], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench: node -e ${JSON.stringify(code)} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  return ms;
}

/** Each command's runs, and its cost over bare Node: the median of the per-round differences. */
export function measureImportCost(runs = IMPORT_RUNS): ImportRow[] {
  const times = COMMANDS.map(() => [] as number[]);
  for (let round = -1; round < runs; round++) {
    COMMANDS.forEach((c, i) => {
      const ms = timeNode(c.code);
      if (round >= 0) times[i].push(ms);
    });
  }
  const bare = times[0];
  return COMMANDS.map((c, i) => ({
    id: c.id,
    label: c.label,
    medianMs: median(times[i]),
    overNodeMs: median(times[i].map((ms, round) => ms - bare[round])),
    runsMs: times[i],
  }));
}
