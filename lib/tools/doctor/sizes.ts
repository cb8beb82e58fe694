// How much each check measures: `--quick` (CI: within 30 s on 2 cores) or the default
// (within 3 minutes).
import { DoctorMode } from './types';

export interface Sizes {
  wakeSamples: number;
  jsWakeSamples: number;
  gapUs: number;
  /** A wake-up later than this is late. */
  wakeBoundMs: number;
  races: number;
  raceMaxMs: number;
  raceBoundMs: number;
  litmusIterations: number;
  litmusMaxMs: number;
  /**
   * The unfenced protocol must lose a wake-up within this many races (x86_64 hardware): a
   * budget in events, so a slow or busy machine takes longer rather than failing.
   */
  controlRaces: number;
  /** Only bounds the control's run: a budget not spent by then could not tell. */
  controlMaxMs: number;
  correctRaces: number;
  correctMaxMs: number;
  replayStallMs: number;
}

export const SIZES: Record<DoctorMode, Sizes> = {
  quick: {
    wakeSamples: 2000,
    jsWakeSamples: 1000,
    gapUs: 50,
    wakeBoundMs: 10,
    races: 30_000,
    raceMaxMs: 5000,
    raceBoundMs: 100,
    litmusIterations: 300_000,
    litmusMaxMs: 2000,
    controlRaces: 200_000,
    controlMaxMs: 60_000,
    correctRaces: 50_000,
    correctMaxMs: 3000,
    replayStallMs: 150,
  },
  full: {
    wakeSamples: 10_000,
    jsWakeSamples: 10_000,
    gapUs: 50,
    wakeBoundMs: 10,
    races: 1_000_000,
    raceMaxMs: 60_000,
    raceBoundMs: 100,
    litmusIterations: 5_000_000,
    litmusMaxMs: 8000,
    controlRaces: 2_000_000,
    controlMaxMs: 120_000,
    correctRaces: 1_000_000,
    correctMaxMs: 20_000,
    replayStallMs: 300,
  },
};

/** Sizes scaled by `factor` (tests use tiny runs), never below 1. */
export function scaled(s: Sizes, factor: number): Sizes {
  const k = (n: number): number => Math.max(1, Math.round(n * factor));
  return {
    ...s,
    wakeSamples: k(s.wakeSamples),
    jsWakeSamples: k(s.jsWakeSamples),
    races: k(s.races),
    litmusIterations: k(s.litmusIterations),
    controlRaces: k(s.controlRaces),
    correctRaces: k(s.correctRaces),
  };
}
