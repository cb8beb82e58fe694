#!/usr/bin/env node
// The mutation check (`npm run test:mutants`): breaks the wake-up protocol on purpose, one
// mutation at a time, in a copy of the repository, and runs the test files that guard that
// part. Each mutant must turn them red (a failure, not a per-file timeout) within the bound;
// a mutant they survive, or one they hang on, fails the check. A mutation whose pattern is
// no longer found exactly once is an error, never a pass. The unmutated copy runs first and
// must be green, or red would prove nothing.
//
//   npm run test:mutants [-- [--bound=SECONDS] [--no-baseline] [--keep] [ID ...]]
//
// Needs node_modules and a built addon (build/) in this checkout; touches neither.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * The mutations. `from` must match exactly once in `file`; `tests` are dist/test/<folder>/<name>.test.js.
 * The lines of lib/aio they target are the stable ones of the protocol: notify()'s exchange and
 * load, poll()'s NOTIFY_ME add and NOTIFIED load, enableExternal()'s last-enable notify.
 */
const MUTANTS = [
  {
    id: 'no-kick-on-last-enable',
    what: 'enableExternal() as before QEMU 321d1dba8b: the last enable does not notify',
    file: 'lib/aio/notify.ts',
    from: /if \(old === 1\) notify\(state\);/,
    to: 'if (old === 1) { /* mutant: no notify */ }',
    tests: ['aio/cross-thread', 'aio/model'],
  },
  {
    id: 'no-kick',
    what: 'notify() never writes the eventfd',
    file: 'lib/aio/notify.ts',
    from: /Atomics\.load\(w, W\.NOTIFY_ME\) !== 0\) kick\(state\);/,
    to: 'Atomics.load(w, W.NOTIFY_ME) !== 0 && false) kick(state);',
    tests: ['aio/cross-thread'],
  },
  {
    id: 'test-before-set',
    what: 'poll() reads NOTIFIED before it raises NOTIFY_ME',
    file: 'lib/aio/context.ts',
    from: /Atomics\.add\(w, W\.NOTIFY_ME, 2\);\n(\s*)if \(Atomics\.load\(w, W\.NOTIFIED\) !== 0\) timeout = 0;/,
    to: 'const notifiedEarly = Atomics.load(w, W.NOTIFIED) !== 0;\n$1Atomics.add(w, W.NOTIFY_ME, 2);\n$1if (notifiedEarly) timeout = 0;',
    tests: ['aio/context', 'aio/cross-thread'],
  },
  {
    id: 'no-notified-recheck',
    what: 'poll() raises NOTIFY_ME and sleeps without checking NOTIFIED',
    file: 'lib/aio/context.ts',
    from: /(Atomics\.add\(w, W\.NOTIFY_ME, 2\);\n\s*)if \(Atomics\.load\(w, W\.NOTIFIED\) !== 0\) timeout = 0;/,
    to: '$1/* mutant: no NOTIFIED re-check */',
    tests: ['aio/context', 'aio/model'],
  },
  {
    id: 'uncoalesced-kick',
    what: 'notify() writes the eventfd whenever NOTIFY_ME != 0, even if NOTIFIED was already 1',
    file: 'lib/aio/notify.ts',
    from: /Atomics\.exchange\(w, W\.NOTIFIED, 1\) === 0 && /,
    to: 'Atomics.exchange(w, W.NOTIFIED, 1) >= 0 && ',
    tests: ['aio/cross-thread'],
  },
  {
    id: 'native-missing-barrier',
    what: "the native protocol race: the notifier's smp_mb() is only a compiler barrier",
    file: 'native/tools/race_core.cc',
    from: /(sh\.pending\.store\(1, std::memory_order_relaxed\);\n\s*)SmpMb\(p\.fenced\);/,
    to: '$1SmpMb(false);',
    tests: ['tools/harnesses'],
  },
  {
    id: 'replay-run-fixed',
    what: 'the replays run the fixed protocol when asked for the historical one',
    file: 'lib/tools/replays/run.ts',
    from: /m\.set\(R\.VARIANT, this\.fixed \? 1 : 0\);/,
    to: 'm.set(R.VARIANT, 1);',
    tests: ['tools/replays'],
  },
];

function parseArgs(argv) {
  const o = { bound: 240, baseline: true, keep: false, ids: [] };
  for (const a of argv) {
    if (a.startsWith('--bound=')) o.bound = Number(a.slice(8));
    else if (a === '--no-baseline') o.baseline = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--help') {
      console.log(`usage: node scripts/mutants.js [--bound=SECONDS] [--no-baseline] [--keep] [ID ...]\nmutants: ${MUTANTS.map((m) => m.id).join(', ')}`);
      process.exit(0);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.ids.push(a);
  }
  if (!(o.bound > 0)) throw new Error('--bound must be a positive number of seconds');
  for (const id of o.ids) if (!MUTANTS.some((m) => m.id === id)) throw new Error(`no mutant ${id}`);
  return o;
}

const log = (s) => process.stderr.write(`[mutants] ${s}\n`);

/** A copy of the checkout's tracked and new files, node_modules linked, build/ copied, dist built. */
function makeBase(dir) {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync('cp', ['-a', path.join(ROOT, 'build'), path.join(dir, 'build')]);
  log(`tsc in ${dir}`);
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  bundle(dir);
}

/** The library bundle of the copy in `dir`, from its sources (scripts/bundle.js). */
function bundle(dir) {
  execFileSync(process.execPath, [path.join(dir, 'scripts', 'bundle.js')], { cwd: dir, stdio: 'inherit' });
}

/** node-gyp: the project's own if it has one, else the one npm bundles (what `npm install` runs). */
function nodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
  } catch {
    const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
    return path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  }
}

/** Applies `m` to the copy in `dir`; throws if its pattern is not found exactly once. */
function applyMutant(dir, m) {
  const file = path.join(dir, m.file);
  const text = fs.readFileSync(file, 'utf8');
  const global = new RegExp(m.from.source, 'g');
  const found = (text.match(global) ?? []).length;
  if (found !== 1) throw new Error(`${m.id}: pattern ${m.from} found ${found} times in ${m.file} (expected once): update the mutation`);
  fs.writeFileSync(file, text.replace(m.from, m.to));
  if (m.file.endsWith('.ts')) {
    // Only this file changed: transpile it alone over the copy's dist (no type check needed).
    const ts = require(path.join(ROOT, 'node_modules/typescript'));
    const config = ts.readConfigFile(path.join(dir, 'tsconfig.json'), ts.sys.readFile).config;
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, dir);
    const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { ...options, sourceMap: false }, fileName: file });
    fs.writeFileSync(path.join(dir, 'dist', m.file.replace(/\.ts$/, '.js')), out.outputText);
    bundle(dir); // a library module's mutant lives in the bundle (its dist file becomes a stub again)
  } else {
    log(`${m.id}: node-gyp build`);
    // configure first: build/ came from elsewhere, and its Makefile's relative paths with it.
    // npm's settings (nodedir: the headers of this Node) as `npm install` would pass them.
    const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
    const env = nodedir && nodedir !== 'undefined' && nodedir !== 'null' ? { ...process.env, npm_config_nodedir: nodedir } : process.env;
    for (const cmd of ['configure', 'build']) {
      execFileSync(process.execPath, [nodeGyp(), cmd], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
}

/** Runs the test files in `dir`; 'red', 'green', 'hung' (a per-file timeout or the outer bound). */
function runTests(dir, tests, boundS) {
  const files = tests.map((t) => `dist/test/${t}.test.js`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--test', `--test-timeout=${boundS * 1000}`, ...files], {
    cwd: dir,
    encoding: 'utf8',
    timeout: (boundS * tests.length + 60) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const seconds = (Date.now() - t0) / 1000;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const failed = [...out.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((x) => x[1]).filter((n) => !n.startsWith('/'));
  let result;
  if (r.error?.code === 'ETIMEDOUT' || r.signal) result = 'hung';
  else if (/testTimeoutFailure/.test(out)) result = 'hung';
  else result = r.status === 0 ? 'green' : 'red';
  return { result, seconds, failed, out };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const chosen = o.ids.length ? MUTANTS.filter((m) => o.ids.includes(m.id)) : MUTANTS;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aio-mutants-'));
  const base = path.join(work, 'base');
  fs.mkdirSync(base);
  makeBase(base);
  const rows = [];
  let ok = true;
  const row = (id, tests, r, expect) => {
    const pass = r.result === expect;
    ok &&= pass;
    rows.push([id, tests.join(', '), r.result + (pass ? '' : ` (expected ${expect})`), r.seconds.toFixed(0), r.failed.slice(0, 3).join('; ')]);
    log(`${id}: ${r.result} in ${r.seconds.toFixed(0)} s${r.failed.length ? `: ${r.failed.slice(0, 3).join('; ')}` : ''}`);
    fs.writeFileSync(path.join(work, `${id}.log`), r.out);
  };
  if (o.baseline) {
    const tests = [...new Set(chosen.flatMap((m) => m.tests))];
    log(`baseline: ${tests.join(', ')}`);
    row('none (baseline)', tests, runTests(base, tests, o.bound), 'green');
  }
  for (const m of chosen) {
    const dir = path.join(work, m.id);
    execFileSync('cp', ['-a', base, dir]);
    try {
      applyMutant(dir, m);
    } catch (e) {
      ok = false;
      rows.push([m.id, m.tests.join(', '), `ERROR: ${e.message}`, '0', '']);
      log(`${m.id}: ERROR ${e.message}`);
      continue;
    }
    log(`${m.id} (${m.what}): ${m.tests.join(', ')}`);
    row(m.id, m.tests, runTests(dir, m.tests, o.bound), 'red');
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  const header = ['mutation', 'file(s) run', 'result', 'seconds', 'first failures'];
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nbound: ${o.bound} s per file; logs in ${work}`);
  if (!o.keep) fs.rmSync(base, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

try {
  main();
} catch (e) {
  console.error(`[mutants] ${e.message}`);
  process.exitCode = 2;
}
