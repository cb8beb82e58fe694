// `aio-notify inspect <pid> [--json] [--samples N] [--interval MS] [--stall MS]`
import { parseArgs } from 'node:util';
import { useColor } from '../doctor/style';
import { inspect } from '../inspect';
import { renderInspect } from '../inspect/format';
import { CliIO, parsePositiveInt, UsageError } from './io';

export const INSPECT_USAGE = `aio-notify inspect <pid> [options]
  Looks at a live, possibly stuck process from /proc, without signalling, stopping or
  ptrace-attaching it, and flags lost wake-up signatures.
  --json             print the report as JSON
  --samples N        samples to take (default 3); a finding must hold in every one
  --interval MS      time between samples (default 100)
  --stall MS         how long an aio-notify context may sleep with work pending (default 500)
  --no-color         no colour
  exit: 0 nothing flagged, 1 flagged, 2 usage error, no such process, or no permission`;

export async function inspectCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        samples: { type: 'string' },
        interval: { type: 'string' },
        stall: { type: 'string' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${INSPECT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('inspect needs exactly one pid');
  const pid = parsePositiveInt(positionals[0], 'pid')!;
  try {
    const report = await inspect(pid, {
      samples: parsePositiveInt(values.samples, '--samples', 1, 100),
      intervalMs: parsePositiveInt(values.interval, '--interval', 0, 60000),
      stallMs: parsePositiveInt(values.stall, '--stall', 0, 3600000),
    });
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report, { color: !values['no-color'] && useColor(io.stdout, io.env) }));
    return report.flagged ? 1 : 0;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { hint?: string };
    if (e.code === 'ESRCH' || e.code === 'EACCES' || e.code === 'EPERM') {
      io.stderr.write(`aio-notify inspect: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
      return 2;
    }
    throw error;
  }
}
