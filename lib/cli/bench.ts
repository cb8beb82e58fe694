// `aio-notify bench` / `npm run bench`: parse the arguments, run, print the table or JSON.
import { runBench } from '../tools/bench/bench';
import { parseBenchArgs, USAGE, UsageError } from '../tools/bench/options';
import { renderReport } from '../tools/bench/table';

/** Where the CLI writes (the `aio-notify` CLI's CliIO fits). */
export interface BenchIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
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
    err(`aio-notify bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
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
