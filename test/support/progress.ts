// Preloaded (--require) into every test file's process by `npm test`: keeps Node's
// diagnostic reports off (below), and records which test is running, so that a file killed by its time limit (node --test --test-timeout, or a CI step
// limit) can be told apart by the test it hung in. One file per test file in the directory
// AIO_TEST_PROGRESS (the summary reporter sets it), holding the test now running, or
// "(between tests)".
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'node:test';

// Node 24 and 26 start every `node --test` file's process with report-on-signal on (SIGUSR2,
// Node's default report signal): each test that sends itself SIGUSR2 (a relay chains to Node's
// handler, as it must) wrote a diagnostic report into the checkout. Off in those processes;
// sys/relay-dispositions.test.ts checks the chain to Node's report handler on purpose.
if (process.env.NODE_TEST_CONTEXT) process.report.reportOnSignal = false;

const dir = process.env.AIO_TEST_PROGRESS;
// Only in the child that runs a test file, not in the runner itself.
if (dir && process.env.NODE_TEST_CONTEXT && process.argv[1]) {
  const file = process.argv[1];
  const record = path.join(dir, progressName(file));
  const write = (what: string): void => {
    try {
      fs.writeFileSync(record, `${what}\n`);
    } catch {
      // the directory is gone (the run ended): nothing to record
    }
  };
  beforeEach((t) => write(`${t.name} (since ${new Date().toISOString()})`));
  afterEach(() => write('(between tests)'));
}

/** The progress record's name for a test file. */
export function progressName(file: string): string {
  return path.basename(file).replace(/[^\w.-]/g, '_') + '.running';
}
