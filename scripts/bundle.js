#!/usr/bin/env node
// The library in one file: after tsc, dist/lib/index.js becomes an esbuild bundle of the library
// layers (lib/errors, validate, sys, aio, observability), and each of those modules' compiled
// file in dist/lib becomes a stub that hands out the bundle's copy of that module.
//
// Why: require('aio-notify') loaded 37 modules, and on these machines Node's CommonJS loader
// spends about 0.5 ms on each (resolve, stat, read, compile) whatever its size: 31 ms over
// Node's start against 13 ms for the same code in one file (farm-bench, 2026-12-06).
// Why stubs: the tools, the IOThread's worker entry and the tests import library modules by
// path; a stub makes that path the bundle's module, so a process holds one copy of the library
// (one AioError class, one relay registry per thread), whichever way it came in.
//
// Not bundled: lib/tools and lib/cli (loaded only when used, through the stubs) and
// lib/aio/iothread-worker.ts, a worker's entry that runs when loaded. The .d.ts files are
// tsc's, untouched. Run by `npm run build`, `prepare` and scripts/pretest.sh, after tsc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const LIB = path.join(ROOT, 'lib');
const OUT = path.join(ROOT, 'dist', 'lib');
/** The key under which the bundle's module.exports holds its modules (stubs read it). */
const REGISTRY = 'aio-notify.modules';
const NOT_BUNDLED = ['tools', 'cli', 'aio/iothread-worker', 'index'];

/** Library modules by their path under lib/ without .ts, e.g. 'aio/context'. */
function libraryModules(dir = LIB, prefix = '') {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const id = prefix + entry.name.replace(/\.ts$/, '');
    if (NOT_BUNDLED.includes(id)) continue;
    if (entry.isDirectory()) found.push(...libraryModules(path.join(dir, entry.name), `${id}/`));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(id);
  }
  return found.sort();
}

/** The bundle's entry: the root's exports, and every library module under REGISTRY (not an
 * export: ESM importers and the .d.ts see the root's names only). */
function entrySource(modules) {
  const imports = modules.map((id, i) => `import * as m${i} from './${id}';`);
  const table = modules.map((id, i) => `  ${JSON.stringify(id)}: m${i},`);
  return [
    "export * from './index';",
    ...imports,
    `Object.defineProperty(module.exports, Symbol.for(${JSON.stringify(REGISTRY)}), { value: {`,
    ...table,
    '} });',
    '',
  ].join('\n');
}

function stubSource(id) {
  const root = path.relative(path.dirname(path.join(OUT, id)), path.join(OUT, 'index.js'));
  const rel = root.startsWith('.') ? root : `./${root}`;
  return [
    "'use strict';",
    '// lib/' + id + '.ts lives in the library bundle, dist/lib/index.js (scripts/bundle.js).',
    `module.exports = require(${JSON.stringify(rel)})[Symbol.for(${JSON.stringify(REGISTRY)})][${JSON.stringify(id)}];`,
    '',
  ].join('\n');
}

async function main() {
  const modules = libraryModules();
  await esbuild.build({
    stdin: { contents: entrySource(modules), resolveDir: LIB, sourcefile: 'lib/bundle-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external', // bindings stays a dependency, resolved from node_modules
    outfile: path.join(OUT, 'index.js'),
    logLevel: 'warning',
    // `module` in the entry is the bundle's own CommonJS module: wanted, not a mistake.
    logOverride: { 'commonjs-variable-in-esm': 'silent' },
  });
  for (const id of modules) fs.writeFileSync(path.join(OUT, `${id}.js`), stubSource(id));
}

main().catch((err) => {
  console.error(`bundle: ${err.message}`);
  process.exit(1);
});
