// The package's rooms (README.md, "Layout"): the root loads the library only (sys, the loop,
// runtime observability, bundled in one file by scripts/bundle.js), the tools are the subpath 'aio-notify/tools', and the loop
// source's hooks are not part of AioContext's public surface.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as root from '../../lib';
import { AioContext } from '../../lib';
import { childSkip, PACKAGE_ROOT as ROOT, runNode, TEST_TIMEOUT } from '../support';

const skip = childSkip();

/** The package's modules (paths under dist/lib/) that requiring `specifier` loads, in a fresh child. */
function modulesLoadedBy(specifier: string): string[] {
  const code =
    `require(${JSON.stringify(specifier)});` +
    `const lib = ${JSON.stringify(join(ROOT, 'dist', 'lib') + '/')};` +
    'console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.startsWith(lib)).map((k) => k.slice(lib.length))));';
  const r = runNode(['-e', code], { cwd: ROOT, timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('the package layout', () => {
  test("require('aio-notify') loads one file, the library bundle: not the tools or the CLI", { skip, timeout: TEST_TIMEOUT }, () => {
    // scripts/bundle.js: the library layers are one file (dist/lib/index.js); their modules' own
    // files are stubs, loaded only by what imports them by path.
    assert.deepEqual(modulesLoadedBy('aio-notify'), ['index.js']);
  });

  test("a library module imported by path is the bundle's: one copy of the library per process", () => {
    const byPath = {
      AioContext: (require('../../lib/aio/context') as typeof import('../../lib/aio/context')).AioContext,
      eventfd: (require('../../lib/sys') as typeof import('../../lib/sys')).eventfd,
      HangWatchdog: (require('../../lib/observability/watchdog') as typeof import('../../lib/observability/watchdog')).HangWatchdog,
    };
    assert.equal(byPath.AioContext, root.AioContext);
    assert.equal(byPath.eventfd, root.sys.eventfd);
    assert.equal(byPath.HangWatchdog, root.HangWatchdog);
    const stub = readFileSync(join(ROOT, 'dist', 'lib', 'aio', 'context.js'), 'utf8');
    assert.match(stub, /require\("\.\.\/index\.js"\)/, 'dist/lib/aio/context.js is a stub of the bundle');
  });

  test("require('aio-notify/tools') loads the tools", { skip, timeout: TEST_TIMEOUT }, () => {
    const loaded = modulesLoadedBy('aio-notify/tools');
    assert.ok(loaded.includes('tools/doctor/run.js') && loaded.includes('tools/inspect/index.js'), loaded.join(' '));
    assert.ok(!loaded.some((m) => m.startsWith('cli/')), loaded.join(' '));
  });

  test('the root exports the library and its observability; the tools are a subpath', () => {
    assert.equal(typeof root.HangWatchdog, 'function');
    assert.equal(typeof root.exposeContext, 'function');
    assert.equal(typeof root.Beacon, 'function');
    assert.equal('diagnosis' in root, false);
    const tools = require('aio-notify/tools') as typeof import('../../lib/tools');
    assert.equal(typeof tools.runDoctor, 'function');
    assert.equal(typeof tools.inspect, 'function');
    assert.equal(typeof tools.runReplay, 'function');
    assert.ok(tools.SCENARIOS.length > 0);
  });

  test("the loop source's hooks are neither on AioContext nor in its published types", () => {
    const ctx = new AioContext();
    try {
      for (const name of ['attachPrepare', 'attachCheck', 'attachFds']) {
        assert.equal(name in ctx, false, name);
      }
    } finally {
      ctx.close();
    }
    const dts = readFileSync(join(ROOT, 'dist', 'lib', 'aio', 'context.d.ts'), 'utf8');
    assert.doesNotMatch(dts, /attachPrepare|attachCheck|attachFds/);
  });
});
