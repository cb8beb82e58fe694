// The suite's summary reporter (npm test runs it beside spec): counts every test as passed,
// failed or skipped on this architecture, lists each skip with its reason (a control that
// cannot run here says why), and names the test a file was in when its time limit killed it
// (progress.ts records it). Its last lines are what .ci/run reads:
//   aio-summary <arch> pass <n> fail <n> skip <n>
//   aio-skip <arch> <file> :: <test> :: <reason>
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progressName } from './progress';

// Set before the runner spawns the test files: they inherit it. .ci/run may give its own.
const own = !process.env.AIO_TEST_PROGRESS;
if (own) process.env.AIO_TEST_PROGRESS = fs.mkdtempSync(path.join(os.tmpdir(), 'aio-test-progress-'));
const progress = process.env.AIO_TEST_PROGRESS!;

interface TestEvent {
  type: string;
  data: {
    name: string;
    file?: string;
    nesting: number;
    skip?: string | boolean;
    todo?: string | boolean;
    details?: { type?: string; error?: { failureType?: string; message?: string; cause?: unknown } };
  };
}

function running(file: string): string {
  try {
    return fs.readFileSync(path.join(progress, progressName(file)), 'utf8').trim();
  } catch {
    return '(no test had started)';
  }
}

async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const arch = process.arch;
  let pass = 0;
  let fail = 0;
  const skips: string[] = [];
  for await (const e of source) {
    if (e.type !== 'test:pass' && e.type !== 'test:fail') continue;
    if (e.data.details?.type === 'suite') continue; // a describe(): its tests are counted
    const { name, file = '' } = e.data;
    const rel = path.relative(process.cwd(), file);
    // The runner's own test per file: it fails when the file crashed or hit its time limit.
    if (name === file) {
      const err = e.data.details?.error;
      if (e.type === 'test:fail' && err?.failureType !== 'subtestsFailed') {
        fail++;
        const why = err?.failureType === 'testTimeoutFailure' ? 'hit its time limit' : `failed: ${err?.message ?? ''}`;
        yield `aio-file-fail ${arch} ${rel} ${why}; running: ${running(file)}\n`;
      }
      continue;
    }
    if (e.data.skip !== undefined && e.data.skip !== false) {
      skips.push(`aio-skip ${arch} ${rel} :: ${name} :: ${e.data.skip === true ? '(no reason given)' : e.data.skip}`);
    } else if (e.data.todo !== undefined && e.data.todo !== false) {
      skips.push(`aio-skip ${arch} ${rel} :: ${name} :: todo: ${e.data.todo}`);
    } else if (e.type === 'test:pass') pass++;
    else fail++;
  }
  for (const s of skips) yield `${s}\n`;
  yield `aio-summary ${arch} pass ${pass} fail ${fail} skip ${skips.length}\n`;
  if (own) fs.rmSync(progress, { recursive: true, force: true });
}

export = reporter;
