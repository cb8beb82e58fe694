// `aio-notify inspect <pid> [--json] [--watch[=SECONDS]] [--samples N] [--interval MS] [--stall MS]`
import { useColor } from '../tools/doctor/style';
import { inspect } from '../tools/inspect';
import { renderInspect } from '../tools/inspect/format';
import { CliIO } from './io';
import { parseCommandArgs, parsePositiveInt, UsageError } from './usage';

const DEFAULT_WATCH_S = 10;

export const INSPECT_USAGE = `aio-notify inspect <pid> [options]
  Looks at a live, possibly stuck process from /proc, without signalling, stopping or
  ptrace-attaching it, and judges every waiting thread: lost (nothing will wake it), late
  (a wake-up waits for a thread that does not run), or benign.
  --json             print the report as JSON
  --watch[=SECONDS]  sample for this long (default ${DEFAULT_WATCH_S} s) to gather evidence: an eventfd whose
                     count grows, an fd that drops out of a poller's set
  --samples N        samples to take (default: enough to span the stall threshold)
  --interval MS      time between samples (default 100)
  --stall MS         how long a wait with work pending is tolerated (default 500); a finding
                     must hold in every sample over that long
  --no-color         no colour
  exit: 0 nothing lost, 1 a lost wake-up, 2 usage error, no such process, or no permission`;

export async function inspectCommand(args: string[], io: CliIO): Promise<number> {
  // --watch takes an optional value, which parseArgs cannot express: a bare one means the default.
  const { values, positionals } = parseCommandArgs(
    args.map((a) => (a === '--watch' ? `--watch=${DEFAULT_WATCH_S}` : a)),
    {
      json: { type: 'boolean' },
      watch: { type: 'string' },
      samples: { type: 'string' },
      interval: { type: 'string' },
      stall: { type: 'string' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(`${INSPECT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('inspect needs exactly one pid');
  const pid = parsePositiveInt(positionals[0], 'pid')!;
  const watchS = parsePositiveInt(values.watch, '--watch', 1, 86_400);
  // Progress on a terminal only: a long watch should show that it is alive.
  const progress = io.stderr.isTTY && !values.json;
  try {
    const report = await inspect(pid, {
      samples: parsePositiveInt(values.samples, '--samples', 1, 100_000),
      intervalMs: parsePositiveInt(values.interval, '--interval', 0, 60000),
      stallMs: parsePositiveInt(values.stall, '--stall', 0, 3600000),
      watchMs: watchS === undefined ? undefined : watchS * 1000,
      onSample: progress ? (done, total) => void io.stderr.write(`\rinspect ${pid}: sample ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
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
