// Where the tests run from and how patient they are. Tests run from the compiled JavaScript
// in dist/test, so every path is resolved from there (dist/lib is the library under test), on
// x86_64 and under qemu-user (aarch64) alike. Bounds are generous and never a latency
// assertion: emulation is ~5x slower and these machines are shared and noisy.
import { join } from 'node:path';
import { emulation, sanitizer } from '../../lib/tools/environment';

/** The package directory: the one holding package.json, test/ and dist/ (this file is in dist/test/support). */
export const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

/** The compiled library under test (dist/lib), as workers and children require it. */
export const LIB_PATH = join(PACKAGE_ROOT, 'dist', 'lib');

type Lib = typeof import('../../lib');

/** What every body run elsewhere (a worker, a child) receives: the library loaded there, and its data. */
export interface LibContext<D = any> {
  /** The compiled library (dist/lib) and its sys layer, loaded in that thread or process. */
  lib: Lib;
  sys: Lib['sys'];
  /** The `data` given with the body (structured-cloned for a worker, JSON for a child). */
  data: D;
  require: NodeRequire;
}

/** The aio-notify command, compiled (dist/bin/aio-notify.js). */
export const CLI = join(PACKAGE_ROOT, 'dist', 'bin', 'aio-notify.js');

/** The compiled fixtures (test/fixtures -> dist/test/fixtures). */
export const FIXTURES = join(PACKAGE_ROOT, 'dist', 'test', 'fixtures');

/** The compiled fixture module `name` (test/fixtures/<name>.ts), e.g. an IOThread's module. */
export function fixture(name: string): string {
  return join(FIXTURES, `${name}.js`);
}

/** Default per-test timeout for node:test (`test(name, { timeout: TEST_TIMEOUT }, fn)`). */
export const TEST_TIMEOUT = 120_000;

/** Default patience of waitFor, workers and children: long, never a latency assertion. */
export const WAIT_MS = 60_000;

/** The emulator this Node runs under ('qemu-user'), detected from /proc/cpuinfo; null on hardware. */
export const EMULATED = emulation();

/** The sanitizer runtime loaded in this process, or null. */
export const INSTRUMENTED = sanitizer();

/** Emulated or instrumented runs are several times slower: scale loop counts and bounds, not asserts. */
export const SLOW = EMULATED !== null || INSTRUMENTED !== null;

/** How long a stop of an IOThread, or its falling asleep, may take: a bound on a hang, not a latency. */
export const STOP_MS = SLOW ? 60_000 : 10_000;
