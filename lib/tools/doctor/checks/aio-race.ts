// Check 3: the AioContext protocol under race. A worker thread schedules an IOThread's
// bottom half at random points of its way back to sleep, race after race, while a
// HangWatchdog watches from the main thread. Lost must be 0.
import { measureAioRace } from '../../measure/aio-race';
import { fmtRate, rateBlock } from '../blocks';
import { CheckResult } from '../types';
import { CheckContext, result } from './context';

export async function checkAioRace(c: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: 'aio-race' as const, number: 3, title: 'AioContext notify/poll under race' };
  const s = c.sizes;
  c.progress('racing bottom halves against the IOThread', 0);
  const r = await measureAioRace({
    races: s.races,
    boundMs: s.raceBoundMs,
    maxMs: s.raceMaxMs,
    onProgress: (done, total) => c.progress('racing bottom halves against the IOThread', done / total),
  });
  const lost = rateBlock(r.lost, r.races);
  const late = rateBlock(r.late, r.races);
  const notes: string[] = [];
  if (r.truncated) notes.push(`time limit reached after ${r.races} of ${s.races} races`);
  if (r.late > 0) notes.push(`${r.late} race(s) woke later than ${s.raceBoundMs} ms (scheduling delay)`);
  if (r.watchdogAlarms > r.late + r.lost) notes.push(`the HangWatchdog raised ${r.watchdogAlarms} alarm(s)`);
  const verdict = r.lost > 0 ? 'fail' : r.late > 0 || r.watchdogAlarms > 0 || r.truncated ? 'warn' : 'pass';
  const summary = `lost ${fmtRate(lost)}; ${r.sleeps.toLocaleString('en-US')} sleeps, late ${r.late}, watchdog alarms ${r.watchdogAlarms}`;
  return result(base, started, verdict, summary, notes, {
    races: r.races,
    sleeps: r.sleeps,
    kicks: r.kicks,
    lost,
    late,
    watchdogAlarms: r.watchdogAlarms,
    boundMs: s.raceBoundMs,
    elapsedMs: Math.round(r.elapsedNs / 1e6),
    truncated: r.truncated,
  });
}
