// The doctor's readable report: environment, one verdict line per check (with notes), the
// wake-up histogram, the overall verdict.
import { EnvironmentReport } from '../environment';
import { drawHistogram } from './histogram';
import { paint, Style } from './style';
import { CheckResult, CheckVerdict, DoctorReport, LatencyBlock } from './types';

const TAGS: Record<CheckVerdict, [string, 'green' | 'yellow' | 'red' | 'magenta' | 'dim']> = {
  pass: ['PASS ', 'green'],
  warn: ['WARN ', 'yellow'],
  fail: ['FAIL ', 'red'],
  skip: ['SKIP ', 'dim'],
  error: ['ERROR', 'magenta'],
};

export function environmentLines(e: EnvironmentReport): string[] {
  const hv = e.hypervisor.present ? `hypervisor: yes${e.hypervisor.vendor ? ` (${e.hypervisor.vendor})` : ''}` : 'hypervisor: no';
  const halt = Object.entries(e.haltPoll).map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    `${e.arch} (${e.machine})${e.emulation ? ` under ${e.emulation}` : ''}${e.sanitizer ? ` · ${e.sanitizer} runtime loaded` : ''} · Linux ${e.kernel.release} · ${e.cpuModel} · ${e.cores.available} CPUs · ${hv}`,
    `cpuidle ${e.cpuidle.driver ?? 'none'} / ${e.cpuidle.governor ?? 'none'}${halt ? ` · ${halt}` : ''}`,
    `Node ${e.node} (V8 ${e.v8}) · addon ${e.addon.version} (N-API ${e.addon.napi ?? '?'}) · pid ${e.pid}`,
  ];
}

export function checkLine(style: Style, c: CheckResult): string {
  const [tag, colour] = TAGS[c.verdict];
  return `  ${paint(style, colour, tag)} ${c.number} ${c.title}: ${c.summary}`;
}

export function renderText(r: DoctorReport, style: Style): string {
  const out: string[] = [];
  out.push(paint(style, 'bold', `aio-notify doctor ${r.tool.version} · ${r.mode} · ${(r.durationMs / 1000).toFixed(1)} s`));
  out.push('', paint(style, 'bold', 'Environment'), ...environmentLines(r.environment).map((l) => `  ${l}`));
  out.push('', paint(style, 'bold', 'Checks'));
  for (const c of r.checks) {
    out.push(checkLine(style, c));
    for (const n of c.notes) if (c.verdict !== 'error' || !n.includes('\n')) out.push(paint(style, 'dim', `         ${n}`));
  }
  const wake = r.checks.find((c) => c.id === 'wake-eventfd');
  if (wake && wake.details.native) {
    const blocks = [wake.details.native as LatencyBlock, wake.details.js as LatencyBlock];
    out.push('', paint(style, 'bold', 'Sleeping one-way wake-up, eventfd + ppoll (samples per latency bin)'), ...drawHistogram(blocks));
  }
  const colour = r.verdict === 'healthy' ? 'green' : r.verdict === 'unhealthy' ? 'red' : 'magenta';
  const meaning =
    r.verdict === 'healthy'
      ? 'no lost wake-up, every control behaved'
      : r.verdict === 'unhealthy'
        ? 'a lost wake-up or a failed control (see FAIL above)'
        : 'a check could not run';
  out.push('', `${paint(style, 'bold', 'Verdict:')} ${paint(style, colour, r.verdict)}: ${meaning} (exit ${r.exitCode})`);
  return `${out.join('\n')}\n`;
}
