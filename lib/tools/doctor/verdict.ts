// The overall verdict and exit code from the checks' verdicts.
import { CheckResult, DoctorReport } from './types';

export function overall(checks: Pick<CheckResult, 'verdict'>[]): Pick<DoctorReport, 'verdict' | 'exitCode'> {
  if (checks.some((c) => c.verdict === 'fail')) return { verdict: 'unhealthy', exitCode: 1 };
  if (checks.some((c) => c.verdict === 'error')) return { verdict: 'error', exitCode: 2 };
  return { verdict: 'healthy', exitCode: 0 };
}
