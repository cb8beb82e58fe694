// Check 4: memory ordering on this machine. The store-buffering litmus test with no
// fence, a fence on one side, and fences on both sides; then the native notify/poll
// protocol without its barriers (a positive control: on x86_64 hardware with two cores it
// must lose a wake-up within its budget of races) beside the fenced one (0 lost).
import { litmus, LitmusVariant, nativeRace } from '../../harnesses';
import { fmtRate, rateBlock } from '../blocks';
import { CheckResult } from '../types';
import { CheckContext, nativeX64, result } from './context';

/** Races run together (RaceResult.together) that a required control must lose a wake-up in:
 * half its budget. At the rate of this guest (1 loss in about 1,500 such races), no loss in
 * 20,000 of them (the test suite's scaled budget) has a probability near e^-13; in 100,000
 * (--quick's budget of 200,000 races), near e^-66. */
export function controlTogether(controlRaces: number): number {
  return Math.ceil(controlRaces / 2);
}

export async function checkLitmus(c: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: 'litmus' as const, number: 4, title: 'memory ordering: SB litmus and protocol controls' };
  const s = c.sizes;
  const notes: string[] = [];
  const sb = [];
  const variants: LitmusVariant[] = ['none', 'one-sided', 'both'];
  for (const [i, v] of variants.entries()) {
    c.progress(`store-buffering litmus, ${v === 'none' ? 'no fence' : v === 'both' ? 'both fenced' : 'one fence'}`, i / 5);
    const r = await litmus(v, { iterations: s.litmusIterations, maxMs: s.litmusMaxMs });
    sb.push({ variant: v, iterations: r.iterations, reordered: rateBlock(r.bothZero, r.iterations), pinned: r.pinned, cpus: r.cpus, elapsedMs: Math.round(r.elapsedNs / 1e6) });
  }
  c.progress('notify/poll without barriers (positive control)', 3 / 5);
  const bad = await nativeRace('nobarrier', { races: s.controlRaces, maxMs: s.controlMaxMs, stopAfterLost: true });
  c.progress('notify/poll with smp_mb() on both sides', 4 / 5);
  const good = await nativeRace('correct', { races: s.correctRaces, maxMs: s.correctMaxMs });
  // Required where the reordering must show: x86_64 hardware, both threads on their own core.
  const required = nativeX64(c.env) && bad.pinned;
  const control = {
    races: bad.races,
    together: bad.together,
    sleeps: bad.sleeps,
    lost: bad.lost,
    late: bad.late,
    firstLostMs: bad.firstLostNs < 0 ? null : Math.round(bad.firstLostNs / 1e5) / 10,
    elapsedMs: Math.round(bad.elapsedNs / 1e6),
    lostRate: rateBlock(bad.lost, bad.races),
    required,
  };
  const correct = {
    races: good.races,
    sleeps: good.sleeps,
    lost: good.lost,
    late: good.late,
    elapsedMs: Math.round(good.elapsedNs / 1e6),
    lostRate: rateBlock(good.lost, good.races),
  };
  let verdict: CheckResult['verdict'] = 'pass';
  const both = sb[2];
  if (both.reordered.k > 0) {
    verdict = 'fail';
    notes.push(`fences on both sides still showed r0 = r1 = 0 ${both.reordered.k} time(s): the fence does not order stores before loads here`);
  }
  if (correct.lost > 0) {
    verdict = 'fail';
    notes.push(`the fenced protocol lost ${correct.lost} wake-up(s)`);
  }
  if (bad.lost === 0) {
    const budget = `${bad.races.toLocaleString('en-US')} of ${s.controlRaces.toLocaleString('en-US')} races`;
    const together = `${bad.together.toLocaleString('en-US')} with both threads running together`;
    // Only races whose two threads ran at the same time can show the reordering. Nothing
    // lost although half the budget ran together is a failed control, whether or not the
    // time bound cut the run short; fewer run together (a side descheduled on a busy
    // machine, or too little time) cannot tell.
    if (required && bad.together >= controlTogether(s.controlRaces)) {
      verdict = 'fail';
      notes.push(`positive control failed: the protocol without barriers lost nothing in ${budget}, ${together}: this harness cannot see the reordering here`);
    } else {
      if (verdict === 'pass') verdict = 'warn';
      const where = [c.env.arch, c.env.emulation, c.env.sanitizer && `${c.env.sanitizer} build`, !bad.pinned && 'threads not pinned'].filter(Boolean).join(', ');
      notes.push(
        required
          ? `could not tell: the protocol without barriers lost nothing in ${budget}, only ${together}${bad.races < s.controlRaces ? ` before the ${s.controlMaxMs / 1000} s bound` : ''} (a busy machine)`
          : `the protocol without barriers lost nothing in ${budget} (${where}): reordering is not required to show here`,
      );
    }
  }
  if (sb[0].reordered.k === 0 && sb[0].pinned) {
    if (verdict === 'pass') verdict = 'warn';
    notes.push('the unfenced litmus showed no reordering: the measurement may not be sensitive on this machine');
  }
  if (!sb[0].pinned) notes.push('threads were not pinned to distinct CPUs (fewer than 2 allowed): reordering is rarely visible');
  const firstLost = control.firstLostMs === null ? 'none' : `first lost after ${control.firstLostMs} ms`;
  const summary =
    `SB r0=r1=0: none ${fmtRate(sb[0].reordered)}, one-sided ${sb[1].reordered.k}, both ${sb[2].reordered.k}; ` +
    `unfenced protocol ${firstLost}; fenced lost ${correct.lost} in ${correct.races.toLocaleString('en-US')}`;
  return result(base, started, verdict, summary, notes, { sb, control, correct });
}
