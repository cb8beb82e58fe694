// The C fixtures of test/fixtures/c, compiled on first use with the C compiler node-gyp
// already needs (cc, -pthread), into dist/test/fixtures/c next to the compiled tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PACKAGE_ROOT } from './env';

const SOURCES = join(PACKAGE_ROOT, 'test', 'fixtures', 'c');
const BINARIES = join(FIXTURES, 'c');

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** The path of fixture `name` (test/fixtures/c/<name>.c), built if missing or older than its source. */
export function cFixture(name: string): string {
  const src = join(SOURCES, `${name}.c`);
  const bin = join(BINARIES, name);
  if (mtime(bin) < mtime(src)) {
    mkdirSync(BINARIES, { recursive: true });
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', bin, src], { stdio: 'inherit' });
  }
  return bin;
}
