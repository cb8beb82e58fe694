// Runs every wake-up method in rounds, rotating the order each round, so that the
// machine's drift (other load, frequency, the host's vCPU scheduling) touches all of
// them alike: side by side, never one after another.
import { summarize } from '../../stats';
import type { PlacementFigures, WakeRow } from '../report';
import { WakeMethod } from './method';

export interface InterleaveOptions {
  rounds: number;
  samples: number;
  gapUs: number;
  /** Samples per method in an unrecorded first round. */
  warmup: number;
  onProgress?: (text: string) => void;
}

interface Taken {
  latencies: number[];
  sendCpus: number[];
  wakeCpus: number[];
}

function figures(latencies: number[], known: number): PlacementFigures {
  const s = summarize(latencies);
  return { n: s.n, share: known > 0 ? s.n / known : NaN, p50Ns: s.p50, p50IntervalNs: s.p50Interval };
}

/** The samples split by placement: sender and receiver on the same CPU, or not. */
export function placementOf(t: Taken): WakeRow['placement'] {
  const same: number[] = [];
  const cross: number[] = [];
  let unknown = 0;
  for (let k = 0; k < t.latencies.length; k++) {
    const a = t.sendCpus[k];
    const b = t.wakeCpus[k];
    if (!(a >= 0 && b >= 0)) unknown++;
    else (a === b ? same : cross).push(t.latencies[k]);
  }
  const known = same.length + cross.length;
  return { sameCpu: figures(same, known), crossCpu: figures(cross, known), unknown };
}

export async function interleave(methods: WakeMethod[], o: InterleaveOptions): Promise<WakeRow[]> {
  const taken: Taken[] = methods.map(() => ({ latencies: [], sendCpus: [], wakeCpus: [] }));
  const lost: Array<number | null> = methods.map(() => 0);
  const started: WakeMethod[] = [];
  try {
    for (const m of methods) {
      await m.start();
      started.push(m);
    }
    for (let r = -1; r < o.rounds; r++) {
      const warm = r < 0;
      if (warm && o.warmup === 0) continue;
      o.onProgress?.(warm ? 'wake-up: warm-up round' : `wake-up: round ${r + 1}/${o.rounds}`);
      for (let j = 0; j < methods.length; j++) {
        const at = (j + Math.max(r, 0)) % methods.length;
        const got = await methods[at].round(warm ? o.warmup : o.samples, o.gapUs);
        if (warm) continue;
        const t = taken[at];
        for (let k = 0; k < got.latencies.length; k++) {
          t.latencies.push(got.latencies[k]);
          t.sendCpus.push(got.sendCpus[k] ?? -1);
          t.wakeCpus.push(got.wakeCpus[k] ?? -1);
        }
        const l = lost[at];
        lost[at] = got.lost === null || l === null ? null : l + got.lost;
      }
    }
  } finally {
    for (const m of started.reverse()) await m.stop();
  }
  return methods.map((m, i) => {
    const s = summarize(taken[i].latencies);
    return {
      id: m.id,
      label: m.label,
      pin: m.pin ?? 'none',
      sender: m.sender ?? null,
      n: s.n,
      p50Ns: s.p50,
      p90Ns: s.p90,
      p99Ns: s.p99,
      maxNs: s.max,
      p50IntervalNs: s.p50Interval,
      lost: lost[i],
      placement: placementOf(taken[i]),
    };
  });
}
