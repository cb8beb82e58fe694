// How each of the package's two addons is loaded, once per thread: the core by
// lib/sys/native.ts, the tools' harnesses by lib/tools/native.ts. One policy for both.
import type Bindings from 'bindings';
import { AddonName, findPrebuilt, prebuiltTarget } from './prebuilt';

// First line of an error, without the 13 paths `bindings` lists when it finds nothing.
function firstLine(err: unknown, name: AddonName): string {
  const text = err instanceof Error ? err.message : String(err);
  if (text.startsWith('Could not locate the bindings file')) return `none (build/Release/${name}.node does not exist)`;
  return text.split('\n')[0];
}

/** The prebuilt binary of addon `name` that fits this machine, else its source build
 * (node-gyp's build/, found by `bindings`); if neither loads, one error that says what is
 * missing and the ways out. `T` is the addon's type, declared once by the module that loads it. */
export function loadAddon<T>(name: AddonName): T {
  const prebuilt = findPrebuilt(name);
  let prebuiltProblem: string;
  if ('path' in prebuilt) {
    try {
      return require(prebuilt.path) as T;
    } catch (err) {
      prebuiltProblem = `${prebuilt.path} does not load: ${firstLine(err, name)}`;
    }
  } else {
    prebuiltProblem = prebuilt.reason;
  }
  try {
    // Required here, not at the top: a machine that has the prebuilt binary never loads it.
    const bindings = require('bindings') as typeof Bindings;
    return bindings(name) as T;
  } catch (err) {
    throw new Error(
      `aio-notify: the native addon ${name} does not load on ${prebuiltTarget()} (Node ${process.version}).\n` +
        `  prebuilt binary: ${prebuiltProblem}\n` +
        `  source build: ${firstLine(err, name)}\n` +
        'Two ways out:\n' +
        '  1. run on Linux x64 or arm64 with glibc 2.28 or later, where the prebuilt binary loads without a build;\n' +
        '  2. build it from source: install python3, make and a C++ compiler (g++), then run\n' +
        '     `npm rebuild aio-notify` (install scripts must be allowed; the build replaces the prebuilt binary).',
    );
  }
}
