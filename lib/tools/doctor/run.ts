// `aio-notify doctor`: the environment, then five checks, each with a verdict.
import { outOfRange } from '../../errors';
import { validateFunction, validateOptions } from '../../validate';
import { environmentReport } from '../environment';
import { packageInfo } from '../package-info';
import { checkAioRace } from './checks/aio-race';
import { CheckContext } from './checks/context';
import { checkLitmus } from './checks/litmus';
import { checkReplays } from './checks/replays';
import { checkWakeEventfd, checkWakeSigio } from './checks/wake';
import { scaled, SIZES } from './sizes';
import { CheckResult, DOCTOR_SCHEMA_VERSION, DoctorMode, DoctorReport, Progress } from './types';
import { overall } from './verdict';

export type CheckId = CheckResult['id'];

const CHECKS: ReadonlyArray<{ id: CheckId; number: number; title: string; run: (c: CheckContext) => Promise<CheckResult> }> = [
  { id: 'wake-eventfd', number: 1, title: 'wake-up via eventfd + ppoll', run: checkWakeEventfd },
  { id: 'wake-sigio', number: 2, title: 'wake-up via SIGIO -> sigwait -> pipe', run: checkWakeSigio },
  { id: 'aio-race', number: 3, title: 'AioContext notify/poll under race', run: checkAioRace },
  { id: 'litmus', number: 4, title: 'memory ordering: SB litmus and protocol controls', run: checkLitmus },
  { id: 'replays', number: 5, title: "replays of QEMU's lost wake-ups", run: checkReplays },
];

export const CHECK_IDS: readonly CheckId[] = CHECKS.map((c) => c.id);

export interface DoctorOptions {
  /** 'quick' (CI, within 30 s on 2 cores) or 'full' (default, within 3 minutes). */
  mode?: DoctorMode;
  /** Called as the run advances: check number, a label, and the fraction of that check done. */
  onProgress?: (check: number, label: string, fraction: number) => void;
  /** Run only these checks (default: all). */
  only?: CheckId[];
  /** Multiply every sample and race count (tests run the checks tiny); default 1. */
  scale?: number;
}

export async function runDoctor(options?: DoctorOptions): Promise<DoctorReport> {
  const o = validateOptions<DoctorOptions>(options);
  const mode: DoctorMode = o.mode ?? 'full';
  if (mode !== 'quick' && mode !== 'full') throw outOfRange('options.mode', "'quick' or 'full'", mode);
  const onProgress = o.onProgress === undefined ? undefined : validateFunction<NonNullable<DoctorOptions['onProgress']>>(o.onProgress, 'options.onProgress');
  for (const id of o.only ?? []) if (!CHECK_IDS.includes(id)) throw outOfRange('options.only', `check ids among ${CHECK_IDS.join(', ')}`, id);
  const scale = o.scale ?? 1;
  if (typeof scale !== 'number' || !(scale > 0 && scale <= 1)) throw outOfRange('options.scale', '> 0 && <= 1', scale);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const env = environmentReport();
  const sizes = scale === 1 ? SIZES[mode] : scaled(SIZES[mode], scale);
  const checks: CheckResult[] = [];
  for (const check of CHECKS) {
    if (o.only && !o.only.includes(check.id)) continue;
    const progress: Progress = (label, fraction) => onProgress?.(check.number, label, fraction);
    const t0 = Date.now();
    try {
      checks.push(await check.run({ sizes, env, progress }));
    } catch (error) {
      checks.push({
        id: check.id,
        number: check.number,
        title: check.title,
        verdict: 'error',
        summary: `could not run: ${(error as Error).message}`,
        notes: [String((error as Error).stack ?? error)],
        durationMs: Date.now() - t0,
        details: {},
      });
    }
  }
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    tool: { name: 'aio-notify', version: packageInfo().version },
    mode,
    startedAt,
    durationMs: Date.now() - started,
    environment: env,
    checks,
    ...overall(checks),
  };
}
