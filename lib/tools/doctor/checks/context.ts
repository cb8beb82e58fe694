// What every check gets: the sizes of this run, the environment, a progress callback.
import { EnvironmentReport } from '../../environment';
import { Sizes } from '../sizes';
import { CheckResult, Progress } from '../types';

export interface CheckContext {
  sizes: Sizes;
  env: EnvironmentReport;
  progress: Progress;
}

/**
 * True when memory-ordering controls are expected to fire: x86_64 hardware (or a VM on it),
 * neither emulated nor running an instrumented (sanitizer) build.
 */
export function nativeX64(env: EnvironmentReport): boolean {
  return env.arch === 'x64' && env.emulation === null && env.sanitizer === null;
}

export function result(
  base: Pick<CheckResult, 'id' | 'number' | 'title'>,
  started: number,
  verdict: CheckResult['verdict'],
  summary: string,
  notes: string[],
  details: Record<string, unknown>,
): CheckResult {
  return { ...base, verdict, summary, notes, durationMs: Date.now() - started, details };
}
