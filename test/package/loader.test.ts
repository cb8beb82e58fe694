// The addon loader (lib/sys/addon-loader.ts) in a copy of the package, for each of the two
// addons: the prebuilt binary first, then the source build, and one message naming both and the
// ways out when neither loads. The core addon (aio_notify) comes with require('aio-notify'), the
// tools' harness addon (aio_notify_tools) only with the tools.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ADDONS, AddonName } from '../../lib/sys/prebuilt';
import { childSkip, PACKAGE_ROOT as ROOT, runNode, TEST_TIMEOUT } from '../support';

const TARGET = `${process.platform}-${process.arch}`;
const skip = childSkip();

type Kind = 'real' | 'junk';
/** Per addon, as asked, a prebuilt and a source-built binary (`real`: this tree's build;
 * `junk`: a file that is no shared object). */
type Addons = Partial<Record<AddonName, { prebuilt?: Kind; built?: Kind }>>;

const prebuiltPath = (dir: string, name: AddonName) => join(dir, 'prebuilds', TARGET, `${name}.node`);
const builtPath = (dir: string, name: AddonName) => join(dir, 'build', 'Release', `${name}.node`);

/** A package with the compiled library and the addons asked for. */
function withPackage(addons: Addons, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'aio-notify-loader-'));
  try {
    cpSync(join(ROOT, 'dist', 'lib'), join(dir, 'dist', 'lib'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const place = (file: string, name: AddonName, kind: Kind) => {
      mkdirSync(join(file, '..'), { recursive: true });
      if (kind === 'real') copyFileSync(builtPath(ROOT, name), file);
      else writeFileSync(file, 'not an ELF file\n');
    };
    for (const name of ADDONS) {
      const { prebuilt, built } = addons[name] ?? {};
      if (prebuilt) place(prebuiltPath(dir, name), name, prebuilt);
      if (built) place(builtPath(dir, name), name, built);
    }
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loads `module` of the package in a child; prints the paths of the addons that were loaded. */
function load(dir: string, module = './dist/lib') {
  const code = `require(${JSON.stringify(module)});
    console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.endsWith('.node'))))`;
  return runNode(['-e', code], { cwd: dir, timeoutMs: 60_000 });
}
const TOOLS = './dist/lib/tools/native';

describe('the addon loader', { skip }, () => {
  test('takes the prebuilt binary first, even with a source build beside it', { timeout: TEST_TIMEOUT }, () => {
    const both = { prebuilt: 'real', built: 'junk' } as const;
    withPackage({ aio_notify: both, aio_notify_tools: both }, (dir) => {
      const r = load(dir);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [prebuiltPath(dir, 'aio_notify')], 'the root loads the core addon only');
      const t = load(dir, TOOLS);
      assert.equal(t.status, 0, t.stderr);
      assert.deepEqual(JSON.parse(t.stdout), ADDONS.map((n) => prebuiltPath(dir, n)), "the tools load the library's addon and their own");
    });
  });

  test('falls back to the source build when the prebuilt binary does not load', { timeout: TEST_TIMEOUT }, () => {
    const both = { prebuilt: 'junk', built: 'real' } as const;
    withPackage({ aio_notify: both, aio_notify_tools: both }, (dir) => {
      const r = load(dir);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [builtPath(dir, 'aio_notify')]);
      const t = load(dir, TOOLS);
      assert.equal(t.status, 0, t.stderr);
      assert.deepEqual(JSON.parse(t.stdout), ADDONS.map((n) => builtPath(dir, n)));
    });
  });

  for (const name of ADDONS) {
    const module = name === 'aio_notify' ? './dist/lib' : TOOLS;
    // The tools stand on the library: for their addon's message, the core one loads.
    const core: Addons = name === 'aio_notify' ? {} : { aio_notify: { built: 'real' } };
    test(`when ${name} does not load, one message says what is missing and the two ways out`, { timeout: TEST_TIMEOUT }, () => {
      withPackage(core, (dir) => {
        const r = load(dir, module);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, new RegExp(`aio-notify: the native addon ${name} does not load on ${TARGET} \\(Node ${process.version}\\)`));
        assert.match(r.stderr, new RegExp(`prebuilt binary: none for ${TARGET} in this copy of the package`));
        assert.match(r.stderr, new RegExp(`source build: none \\(build/Release/${name}\\.node does not exist\\)`));
        assert.match(r.stderr, /Two ways out:\n {2}1\. .*glibc 2\.28.*\n {2}2\. build it from source: install python3, make and a C\+\+ compiler/);
        assert.doesNotMatch(r.stderr, /Could not locate the bindings file/, "bindings' list of 13 paths stays out");
      });
      withPackage({ ...core, [name]: { prebuilt: 'junk' } }, (dir) => {
        const r = load(dir, module);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, new RegExp(`prebuilt binary: .*prebuilds/${TARGET}/${name}\\.node does not load: `));
      });
    });
  }
});
