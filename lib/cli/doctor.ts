// `aio-notify doctor [--quick] [--json] [--json-out FILE] [--markdown] [--no-color] [--only IDS]`
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown } from '../tools/doctor/render-markdown';
import { renderText } from '../tools/doctor/render-text';
import { CHECK_IDS, CheckId, runDoctor } from '../tools/doctor/run';
import { useColor } from '../tools/doctor/style';
import { packageInfo } from '../tools/package-info';
import { CliIO } from './io';
import { parseCommandArgs, UsageError } from './usage';

export const DOCTOR_USAGE = `aio-notify doctor [options]
  Measures whether wake-ups on this host are reliable and how fast they are.
  --quick            a short run for CI (within 30 s on 2 cores); default: within 3 minutes
  --json             print the report as JSON (schema: docs/doctor-report.schema.json)
  --json-out FILE    also write the JSON report to FILE
  --markdown         print Markdown; appended to $GITHUB_STEP_SUMMARY when that is set
  --no-color         no colour (also: NO_COLOR=1, or output not a terminal)
  --only IDS         comma-separated checks: ${CHECK_IDS.join(', ')}
  --print-schema     print the JSON Schema of the --json report and exit
  exit: 0 healthy, 1 a lost wake-up or a failed control, 2 usage or environment error`;

/** The report's JSON Schema, its one source: shipped in the package (package.json "files"). */
export function doctorSchemaPath(): string {
  return join(packageInfo().root, 'docs', 'doctor-report.schema.json');
}

export async function doctorCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      'json-out': { type: 'string' },
      markdown: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      only: { type: 'string' },
      'print-schema': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    io.stdout.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  if (values['print-schema']) {
    io.stdout.write(readFileSync(doctorSchemaPath(), 'utf8'));
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) as CheckId[] | undefined;
  for (const id of only ?? []) if (!CHECK_IDS.includes(id)) throw new UsageError(`unknown check '${id}' (checks: ${CHECK_IDS.join(', ')})`);
  const progressOn = io.stderr.isTTY === true;
  const color = !values['no-color'] && useColor(io.stdout, io.env);
  const report = await runDoctor({
    mode: values.quick ? 'quick' : 'full',
    only,
    onProgress: progressOn
      ? (n, label, fraction) => io.stderr.write(`\r\x1b[2K[${n}/5] ${label} ${Math.round(Math.min(1, fraction) * 100)}%`)
      : undefined,
  });
  if (progressOn) io.stderr.write('\r\x1b[2K');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (values['json-out']) writeFileSync(values['json-out'], json);
  const markdown = values.markdown ? renderMarkdown(report) : '';
  if (values.json) io.stdout.write(json);
  else if (values.markdown) io.stdout.write(markdown);
  else io.stdout.write(renderText(report, { color }));
  if (values.markdown && io.env.GITHUB_STEP_SUMMARY) appendFileSync(io.env.GITHUB_STEP_SUMMARY, markdown);
  return report.exitCode;
}
