// Where the package's prebuilt addons for this machine are, if it ships them. Shared by the
// loader (addon-loader.ts) and the install script (scripts/install.js), which must agree.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package root: the nearest directory above this code that holds package.json. This code
 * runs from the library bundle (dist/lib/index.js) or from tsc's dist/lib/sys/prebuilt.js
 * (scripts/bundle.js): a walk up serves both, where a fixed number of '..' would not. */
export const packageRoot = ((): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`aio-notify: no package.json above ${__dirname}`);
  }
})();

/** The package's two addons (binding.gyp's targets): the core, which lib/sys/native.ts loads,
 * and the tools' harnesses, which lib/tools/native.ts loads. Each ships as
 * `prebuilds/<target>/<name>.node` and builds into `build/Release/<name>.node`. (ADDONS in
 * scripts/lib.sh names the same two for the shell scripts.) */
export const ADDONS = ['aio_notify', 'aio_notify_tools'] as const;
export type AddonName = (typeof ADDONS)[number];

/** The prebuilt binaries are linked against glibc; musl (Alpine) needs a source build.
 * Read from ldd, as detect-libc does first: one small file, not a 30 ms process report. */
function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    return false; // no ldd (distroless images): assume glibc, loading it tells the rest
  }
}

/** The triple this machine needs, e.g. `linux-x64` (glibc only; `linux-x64-musl` has none). */
export function prebuiltTarget(): string {
  return `${process.platform}-${process.arch}${process.platform === 'linux' && isMusl() ? '-musl' : ''}`;
}

/** `{ path }` of the prebuilt addon `name` that fits, or `{ reason }` why none does. */
export function findPrebuilt(name: AddonName): { path: string } | { reason: string } {
  const target = prebuiltTarget();
  const path = join(packageRoot, 'prebuilds', target, `${name}.node`);
  if (existsSync(path)) return { path };
  return { reason: `none for ${target} in this copy of the package (a packed aio-notify ships linux-x64 and linux-arm64, glibc)` };
}
