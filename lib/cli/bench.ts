// `aio-notify bench` / `npm run bench`: parse the arguments, run, print the table or JSON.
import { parseCommandArgs, parsePositiveInt, reportUsageError, UsageError } from './usage';
import { runBench } from '../tools/bench/bench';
import { BenchConfig, FULL, QUICK } from '../tools/bench/options';
import { renderReport } from '../tools/bench/table';

export const USAGE = `Usage: aio-notify bench [--quick] [--json] [options]

Measures aio-notify side by side with the native floor and Node's own wake-ups, and
prints a table (or, with --json, one JSON document) with each target's ratio.

  --quick            a short run (CI, under 30 s)
  --json             print the report as JSON on stdout (progress still goes to stderr)
  --rounds=N         interleaved wake-up rounds
  --samples=N        wake-up samples per method and round
  --warmup=N         unrecorded warm-up samples per method (default 1000: V8 tiers up)
  --gap-us=N         µs between the receiver falling asleep and each send (all methods)
  --pin=MODE         the native floor's threads: none (default; the JS paths cannot pin), split, same
  --iterations=N     operations per timing of the fast path and of poll(false)
  --repeats=N        timings per fast-path and poll(false) figure (the median is reported)
  --coalesce-ms=N    how long each coalescing run notifies
  --fds=A,B,...      idle pipe counts for poll(false)
  --cycles=N         notify/poll cycles of the memory check
  --calls=N          call() round trips per path and round
  --messages=N       64-byte byte-channel messages per round (a quarter of it at 4 KiB)
  --quiet            no progress on stderr
  -h, --help         this text

Timing targets never change the exit status (these machines are noisy): 0 unless the
bench itself fails, 2 for a bad argument.`;

/** Where the CLI writes (the `aio-notify` CLI's CliIO fits). */
export interface BenchIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface ParsedArgs {
  config: BenchConfig;
  help: boolean;
  quiet: boolean;
}

const int = { type: 'string' } as const;

/** Parses `aio-notify bench` arguments (after the subcommand). Throws UsageError. */
export function parseBenchArgs(argv: string[]): ParsedArgs {
  const { values: v } = parseCommandArgs(
    argv,
    {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      rounds: int,
      samples: int,
      warmup: int,
      'gap-us': int,
      pin: { type: 'string' },
      iterations: int,
      repeats: int,
      'coalesce-ms': int,
      fds: { type: 'string' },
      cycles: int,
      calls: int,
      messages: int,
    },
    false,
  );
  const quick = v.quick === true;
  const config: BenchConfig = { quick, json: v.json === true, ...structuredClone(quick ? QUICK : FULL) };
  const { wake, fastPath, poll, coalesce, memory, io } = config;
  wake.rounds = parsePositiveInt(v.rounds, '--rounds') ?? wake.rounds;
  wake.samples = parsePositiveInt(v.samples, '--samples') ?? wake.samples;
  wake.warmup = parsePositiveInt(v.warmup, '--warmup', 0) ?? wake.warmup;
  wake.gapUs = parsePositiveInt(v['gap-us'], '--gap-us', 0) ?? wake.gapUs;
  if (v.pin !== undefined) {
    if (v.pin !== 'none' && v.pin !== 'split' && v.pin !== 'same') throw new UsageError(`--pin must be none, split or same, got '${v.pin}'`);
    wake.pin = v.pin;
  }
  // --iterations and --repeats size the fast path and poll(false) alike.
  const iterations = parsePositiveInt(v.iterations, '--iterations');
  if (iterations !== undefined) fastPath.iterations = poll.iterations = iterations;
  const repeats = parsePositiveInt(v.repeats, '--repeats');
  if (repeats !== undefined) fastPath.repeats = poll.repeats = repeats;
  coalesce.durationMs = parsePositiveInt(v['coalesce-ms'], '--coalesce-ms') ?? coalesce.durationMs;
  if (v.fds !== undefined) poll.fds = v.fds.split(',').map((n) => parsePositiveInt(n, '--fds')!);
  memory.cycles = parsePositiveInt(v.cycles, '--cycles') ?? memory.cycles;
  io.callSamples = parsePositiveInt(v.calls, '--calls') ?? io.callSamples;
  io.messages = parsePositiveInt(v.messages, '--messages') ?? io.messages;
  return { config, help: v.help === true, quiet: v.quiet === true };
}

/**
 * Runs the bench with `argv` (the arguments after `bench`). Resolves to the exit status:
 * 0 after a run whatever the targets say, 2 for a bad argument, 1 if the bench failed.
 */
export async function runBenchCli(argv: string[], io: BenchIO = process): Promise<number> {
  const out = (text: string) => io.stdout.write(text);
  const err = (text: string) => io.stderr.write(text);
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportUsageError(io.stderr, 'bench', error);
  }
  if (parsed.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const { config, quiet } = parsed;
  const command = ['aio-notify bench', ...argv].join(' ');
  const progress = quiet ? () => {} : (text: string) => err(`[bench] ${text}\n`);
  try {
    const report = await runBench(config, command, progress);
    out(config.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
    return 0;
  } catch (error) {
    err(`aio-notify bench: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}
