#!/usr/bin/env node
// `npm run bench`: node dist/lib/cli/run-bench.js [--quick] [--json] ...
import { runBenchCli } from './bench';

runBenchCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`aio-notify bench: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
