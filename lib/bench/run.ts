#!/usr/bin/env node
// `npm run bench`: node dist/lib/bench/run.js [--quick] [--json] ...
import { runBenchCli } from './cli';

runBenchCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`aio-notify bench: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
