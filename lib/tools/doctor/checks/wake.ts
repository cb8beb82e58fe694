// Checks 1 and 2: sleeping one-way wake-up, native floor beside the JavaScript path.
//  1. eventfd + ppoll: two C++ threads; then AioContext, main thread -> IOThread.
//  2. SIGIO -> sigwait -> pipe: two C++ threads and a sigwait thread; then from
//     JavaScript the same road, tgkill(the relay's sigwait thread) -> pipe -> a worker in
//     ppoll, so that their ratio compares like with like; and the relay's other road, its
//     handler on the sending thread (what kill(getpid(), SIGIO) from the main thread takes),
//     which the native harness has no peer for.
// Timings on shared machines drift by 2-3x within seconds, so the native and JavaScript
// sides are measured in alternating rounds, both unpinned (as the JavaScript threads are),
// and compared by their medians (DESIGN.md, "Measuring").
import { nativeWake, PinMode, WakePath } from '../../harnesses';
import { measureAioWake } from '../../measure/aio-wake';
import { measureSigioWake, SIGIO_ROADS } from '../../measure/sigio-wake';
import { mergeMeasurements, WakeMeasurement } from '../../measure/wake-result';
import { Sizes } from '../sizes';
import { fmtUs, latencyBlock } from '../blocks';
import { CheckResult, LatencyBlock } from '../types';
import { CheckContext, result } from './context';

const ROUNDS = 4;

async function native(path: WakePath, samples: number, s: Sizes, pin: PinMode): Promise<WakeMeasurement> {
  const r = await nativeWake(path, { samples, gapUs: s.gapUs, boundMs: s.wakeBoundMs, maxMs: 60_000, pin });
  return { latencies: r.latencies, late: r.late, lost: r.lost, spurious: r.spurious, elapsedNs: r.elapsedNs, truncated: r.latencies.length < samples };
}

type JsMeasure = (o: { samples: number; gapUs: number; boundMs: number; maxMs: number; onProgress?: (d: number, t: number) => void }) => Promise<WakeMeasurement>;

/**
 * Alternating rounds of the native path and one or more JavaScript paths (`js[i]` labelled
 * `labels[i + 1]`), each JavaScript path taking the JavaScript samples in equal shares.
 */
async function sideBySide(
  c: CheckContext,
  path: WakePath,
  js: JsMeasure[],
  labels: string[],
): Promise<{ native: WakeMeasurement; js: WakeMeasurement[] }> {
  const s = c.sizes;
  const nat: WakeMeasurement[] = [];
  const jsm: WakeMeasurement[][] = js.map(() => []);
  const share = 0.5 / js.length;
  for (let round = 0; round < ROUNDS; round++) {
    const base = round / ROUNDS;
    c.progress(labels[0], base);
    nat.push(await native(path, Math.ceil(s.wakeSamples / ROUNDS), s, 'none'));
    for (let i = 0; i < js.length; i++) {
      const from = 0.5 + i * share;
      c.progress(labels[i + 1], base + from / ROUNDS);
      jsm[i].push(
        await js[i]({
          samples: Math.ceil(s.jsWakeSamples / ROUNDS / js.length),
          gapUs: s.gapUs,
          boundMs: s.wakeBoundMs,
          maxMs: 60_000,
          onProgress: (done, total) => c.progress(labels[i + 1], base + (from + (share * done) / total) / ROUNDS),
        }),
      );
    }
  }
  return { native: mergeMeasurements(nat), js: jsm.map(mergeMeasurements) };
}

function verdictOf(blocks: LatencyBlock[], notes: string[]): CheckResult['verdict'] {
  const lost = blocks.reduce((a, b) => a + b.lost, 0);
  const late = blocks.reduce((a, b) => a + b.late, 0);
  const spurious = blocks.reduce((a, b) => a + (b.spurious ?? 0), 0);
  if (lost > 0) notes.push(`${lost} wake-up(s) never arrived`);
  if (late > 0) notes.push(`${late} wake-up(s) came later than ${blocks[0].boundMs} ms: scheduler or hypervisor delay, not a lost wake-up`);
  if (spurious > 0) notes.push(`${spurious} spurious wake-up(s) (woken with nothing sent)`);
  for (const b of blocks) if (b.truncated) notes.push(`${b.side} ${b.path}: time limit reached after ${b.n} samples`);
  if (lost > 0) return 'fail';
  return late > 0 || blocks.some((b) => b.truncated) ? 'warn' : 'pass';
}

/** A statistic of no samples is null in the report (docs/doctor-report.schema.json): so is what it makes. */
const both = (a: number | null, b: number | null, f: (a: number, b: number) => number): number | null => (a === null || b === null ? null : f(a, b));

function jsOverhead(js: LatencyBlock, nat: LatencyBlock) {
  return {
    p50Ratio: both(js.p50, nat.p50, (a, b) => a / b),
    p99Ratio: both(js.p99, nat.p99, (a, b) => a / b),
    p50DeltaUs: both(js.p50, nat.p50, (a, b) => Math.round((a - b) * 100) / 100),
  };
}

function line(b: LatencyBlock): string {
  return `${b.side} p50 ${fmtUs(b.p50)} p99 ${fmtUs(b.p99)}`;
}

export async function checkWakeEventfd(c: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: 'wake-eventfd' as const, number: 1, title: 'wake-up via eventfd + ppoll' };
  const s = c.sizes;
  const m = await sideBySide(c, 'eventfd', [measureAioWake], ['native eventfd wake-ups', 'AioContext wake-ups (main -> IOThread)']);
  const nat = latencyBlock('eventfd', 'native', m.native, s.wakeBoundMs);
  const js = latencyBlock('AioContext main -> IOThread', 'js', m.js[0], s.wakeBoundMs);
  const details: Record<string, unknown> = { native: nat, js, pin: 'none', rounds: ROUNDS };
  if (c.sizes.wakeSamples >= 10_000) {
    c.progress('same-CPU baseline', 0.99);
    details.sameCpu = latencyBlock('eventfd, both threads on one CPU', 'native', await native('eventfd', 2000, s, 'same'), s.wakeBoundMs);
    details.crossCpu = latencyBlock('eventfd, threads on two CPUs', 'native', await native('eventfd', 2000, s, 'split'), s.wakeBoundMs);
  }
  const notes: string[] = [];
  const verdict = verdictOf([nat, js], notes);
  const overhead = jsOverhead(js, nat);
  details.jsOverhead = overhead;
  const lost = nat.lost + js.lost;
  const summary =
    `${lost ? `${lost} LOST; ` : ''}${line(nat)} | ${line(js)} (JS/native p50 x${overhead.p50Ratio?.toFixed(2) ?? '-'}); ` +
    `late ${nat.late + js.late}, lost ${lost}`;
  return result(base, started, verdict, summary, notes, details);
}

export async function checkWakeSigio(c: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const base = { id: 'wake-sigio' as const, number: 2, title: 'wake-up via SIGIO -> sigwait -> pipe' };
  const s = c.sizes;
  const m = await sideBySide(
    c,
    'sigio',
    [(o) => measureSigioWake({ ...o, road: 'sigwait' }), (o) => measureSigioWake({ ...o, road: 'handler' })],
    ['native SIGIO wake-ups (sigwait road)', 'JavaScript SIGIO wake-ups (sigwait road)', 'JavaScript SIGIO wake-ups (handler road)'],
  );
  // Every sample of a block came by the road its path names (sigio-wake.ts forces it).
  const nat = latencyBlock(SIGIO_ROADS.sigwait, 'native', m.native, s.wakeBoundMs);
  const js = latencyBlock(SIGIO_ROADS.sigwait, 'js', m.js[0], s.wakeBoundMs);
  const jsHandler = latencyBlock(SIGIO_ROADS.handler, 'js', m.js[1], s.wakeBoundMs);
  const notes: string[] = [];
  const verdict = verdictOf([nat, js, jsHandler], notes);
  notes.push('the handler road has no native peer: the native harness has no process-wide handler; its figure is for reading, not for a ratio');
  const lost = nat.lost + js.lost + jsHandler.lost;
  const overhead = jsOverhead(js, nat);
  const summary =
    `${lost ? `${lost} LOST; ` : ''}sigwait road: ${line(nat)} | ${line(js)} (JS/native p50 x${overhead.p50Ratio?.toFixed(2) ?? '-'}); ` +
    `handler road: ${line(jsHandler)}; late ${nat.late + js.late + jsHandler.late}, lost ${lost}`;
  return result(base, started, verdict, summary, notes, {
    native: nat,
    js,
    jsHandler,
    roads: { native: 'sigwait', js: 'sigwait', jsHandler: 'handler' },
    jsOverhead: overhead,
    pin: 'none',
    rounds: ROUNDS,
  });
}
