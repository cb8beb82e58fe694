#!/usr/bin/env bash
# `npm test` builds what it runs (the pretest script): the TypeScript incrementally (its build
# info beside the output, so removing dist/ rebuilds all), the library bundle, and the addons only when one is
# missing or native/ or binding.gyp is newer than it. Nothing changed: a second or two.
set -euo pipefail
TAG=pretest
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

stale=0
for name in "${ADDONS[@]}"; do
  addon=build/Release/$name.node
  if [ ! -e "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then stale=1; fi
done
if [ "$stale" = 1 ]; then
  gyp=$(find_node_gyp)
  # make (node-gyp build) recompiles what changed; configure first when build/ has no Makefile
  # or one from before binding.gyp last changed (a new target, a new source).
  if [ -e build/Makefile ] && [ build/Makefile -nt binding.gyp ]; then node "$gyp" build; else node "$gyp" rebuild; fi
fi

npx --no-install tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
# The library bundle and its stubs (scripts/bundle.js), always: tsc rewrites a module's real
# output when its source changed, and esbuild takes a fraction of a second.
node scripts/bundle.js

# tsc never removes an output whose source is gone (a test moved or deleted): remove it, or the
# suite's glob would run a stale copy too. The build info stays, so the build stays incremental.
if [ -d dist ]; then
  while IFS= read -r -d '' out; do
    src=${out#dist/}
    src=${src%.js}
    src=${src%.d.ts}
    [ -e "$src.ts" ] || rm -f "$out"
  done < <(find dist/lib dist/bin dist/test \( -name '*.js' -o -name '*.d.ts' \) -print0 2>/dev/null)
  find dist/lib dist/bin dist/test -depth -type d -empty -delete 2>/dev/null || true
fi
