// Runs every wake-up method in rounds, rotating the order each round, so that the
// machine's drift (other load, frequency, the host's vCPU scheduling) touches all of
// them alike: side by side, never one after another.
import { summarize } from '../../stats';
import type { WakeRow } from '../report';
import { WakeMethod } from './method';

export interface InterleaveOptions {
  rounds: number;
  samples: number;
  gapUs: number;
  /** Samples per method in an unrecorded first round. */
  warmup: number;
  onProgress?: (text: string) => void;
}

export async function interleave(methods: WakeMethod[], o: InterleaveOptions): Promise<WakeRow[]> {
  const samples = methods.map(() => [] as number[]);
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
        for (let k = 0; k < got.latencies.length; k++) samples[at].push(got.latencies[k]);
        const l = lost[at];
        lost[at] = got.lost === null || l === null ? null : l + got.lost;
      }
    }
  } finally {
    for (const m of started.reverse()) await m.stop();
  }
  return methods.map((m, i) => {
    const s = summarize(samples[i]);
    return {
      id: m.id,
      label: m.label,
      n: s.n,
      p50Ns: s.p50,
      p90Ns: s.p90,
      p99Ns: s.p99,
      maxNs: s.max,
      p50IntervalNs: s.p50Interval,
      lost: lost[i],
    };
  });
}
