#!/usr/bin/env node
// aio-notify: doctor | inspect | repro | bench.
import { doctorCommand, DOCTOR_USAGE } from '../lib/cli/doctor';
import { inspectCommand, INSPECT_USAGE } from '../lib/cli/inspect';
import { CliIO } from '../lib/cli/io';
import { reproCommand, REPRO_USAGE } from '../lib/cli/repro';
import { reportUsageError, UsageError } from '../lib/cli/usage';
import { packageInfo } from '../lib/tools/package-info';
import { runBenchCli } from '../lib/cli/bench';

const USAGE = `usage: aio-notify <command> [options]

${DOCTOR_USAGE}

${INSPECT_USAGE}

${REPRO_USAGE}

aio-notify bench [--quick] [--json]   wake-ups against the native floor and Node's own (npm run bench)

aio-notify --version | --help`;

const COMMANDS = ['doctor', 'inspect', 'repro', 'bench'];

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'doctor':
        return await doctorCommand(rest, io);
      case 'inspect':
        return await inspectCommand(rest, io);
      case 'repro':
        return await reproCommand(rest, io);
      case 'bench':
        return await runBenchCli(rest, io);
      case '--version':
      case '-v':
        io.stdout.write(`${packageInfo().version}\n`);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('a command is needed');
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(io.stderr, command && COMMANDS.includes(command) ? command : undefined, error);
    io.stderr.write(`aio-notify: ${(error as Error).stack ?? error}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`aio-notify: ${error}\n`);
      process.exitCode = 2;
    },
  );
}
