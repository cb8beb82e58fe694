// The addon loader (lib/sys/native.ts) in a copy of the package: the prebuilt binary first,
// then the source build, and one message naming both and the ways out when neither loads.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { childSkip, PACKAGE_ROOT as ROOT, runNode, TEST_TIMEOUT } from '../support';

const BUILT = join(ROOT, 'build', 'Release', 'aio_notify.node');
const TARGET = `${process.platform}-${process.arch}`;
const skip = childSkip();

/** A package with the compiled library and, as asked, a prebuilt and a source-built addon
 * (`real`: this tree's build; `junk`: a file that is no shared object). */
function withPackage(addons: { prebuilt?: 'real' | 'junk'; built?: 'real' | 'junk' }, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'aio-notify-loader-'));
  try {
    cpSync(join(ROOT, 'dist', 'lib'), join(dir, 'dist', 'lib'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const place = (file: string, kind: 'real' | 'junk') => {
      mkdirSync(join(file, '..'), { recursive: true });
      if (kind === 'real') copyFileSync(BUILT, file);
      else writeFileSync(file, 'not an ELF file\n');
    };
    if (addons.prebuilt) place(join(dir, 'prebuilds', TARGET, 'aio_notify.node'), addons.prebuilt);
    if (addons.built) place(join(dir, 'build', 'Release', 'aio_notify.node'), addons.built);
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loads the package in a child; prints the path of the addon that was loaded. */
function load(dir: string) {
  const code = `require('./dist/lib'); console.log(Object.keys(require.cache).find((k) => k.endsWith('.node')))`;
  return runNode(['-e', code], { cwd: dir, timeoutMs: 60_000 });
}

describe('the addon loader', { skip }, () => {
  test('takes the prebuilt binary first, even with a source build beside it', { timeout: TEST_TIMEOUT }, () => {
    withPackage({ prebuilt: 'real', built: 'junk' }, (dir) => {
      const r = load(dir);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), join(dir, 'prebuilds', TARGET, 'aio_notify.node'));
    });
  });

  test('falls back to the source build when the prebuilt binary does not load', { timeout: TEST_TIMEOUT }, () => {
    withPackage({ prebuilt: 'junk', built: 'real' }, (dir) => {
      const r = load(dir);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), join(dir, 'build', 'Release', 'aio_notify.node'));
    });
  });

  test('when nothing loads, one message says what is missing and the two ways out', { timeout: TEST_TIMEOUT }, () => {
    withPackage({}, (dir) => {
      const r = load(dir);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`aio-notify: no native addon loads on ${TARGET} \\(Node ${process.version}\\)`));
      assert.match(r.stderr, new RegExp(`prebuilt binary: none for ${TARGET} in this copy of the package`));
      assert.match(r.stderr, /source build: none \(build\/Release\/aio_notify\.node does not exist\)/);
      assert.match(r.stderr, /Two ways out:\n {2}1\. .*glibc 2\.28.*\n {2}2\. build it from source: install python3, make and a C\+\+ compiler/);
      assert.doesNotMatch(r.stderr, /Could not locate the bindings file/, "bindings' list of 13 paths stays out");
    });
    withPackage({ prebuilt: 'junk' }, (dir) => {
      const r = load(dir);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`prebuilt binary: .*prebuilds/${TARGET}/aio_notify\\.node does not load: `));
    });
  });
});
