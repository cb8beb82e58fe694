// Check 5: replays of QEMU's historical lost wake-ups. Each historical protocol must hang
// and be classified as the bug was; the fixed protocol, under the same forced timing,
// must get the work done; the late-wake control must be classified late.
import { runReplay } from '../../replays/run';
import { SCENARIOS } from '../../replays/scenarios';
import { CheckResult } from '../types';
import { CheckContext, result } from './context';

export async function checkReplays(c: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: 'replays' as const, number: 5, title: "replays of QEMU's lost wake-ups" };
  const stallMs = c.sizes.replayStallMs;
  const scenarios = [];
  const notes: string[] = [];
  let failed = 0;
  for (const [i, s] of SCENARIOS.entries()) {
    c.progress(`replay ${s.id}${s.commit ? ` (${s.commit})` : ''}`, i / SCENARIOS.length);
    const historical = s.kind === 'bug' ? await runReplay(s.id, { fixed: false, stallMs }) : null;
    const fixed = await runReplay(s.id, { fixed: true, stallMs });
    for (const o of [historical, fixed]) {
      if (o && !o.pass) {
        failed++;
        notes.push(`${s.id} (${o.variant}): ${o.reason}`);
      }
    }
    scenarios.push({
      id: s.id,
      commit: s.commit,
      year: s.year,
      title: s.title,
      kind: s.kind,
      expected: { verdict: s.expect.verdict, cause: s.expect.cause },
      historical: historical && {
        pass: historical.pass,
        verdict: historical.stall?.verdict ?? 'ok',
        cause: historical.stall?.cause ?? null,
        pending: historical.stall?.pending.map((p) => p.kind) ?? [],
        reason: historical.reason,
        durationMs: historical.durationMs,
      },
      fixed: { pass: fixed.pass, verdict: fixed.stall?.verdict ?? 'ok', cause: fixed.stall?.cause ?? null, reason: fixed.reason, durationMs: fixed.durationMs },
    });
  }
  const bugs = scenarios.filter((x) => x.kind === 'bug');
  const caught = bugs.filter((x) => x.historical?.pass).length;
  const fixedOk = bugs.filter((x) => x.fixed.pass).length;
  const control = scenarios.find((x) => x.kind === 'control');
  const summary =
    `${caught}/${bugs.length} historical hangs caught and classified, ${fixedOk}/${bugs.length} fixed protocols completed` +
    (control ? `, late control ${control.fixed.pass ? 'classified late' : 'MISCLASSIFIED'}` : '');
  return result(base, started, failed ? 'fail' : 'pass', summary, notes, { stallMs, scenarios });
}
