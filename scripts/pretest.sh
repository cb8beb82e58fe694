#!/usr/bin/env bash
# `npm test` builds what it runs (the pretest script): the TypeScript incrementally (its build
# info beside the output, so removing dist/ rebuilds all), and the addon only when native/ or
# binding.gyp is newer than the built .node. Nothing changed: a second or two.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

addon=build/Release/aio_notify.node
if [ ! -e "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then
  gyp=$(bash scripts/find-node-gyp.sh)
  # make (node-gyp build) recompiles what changed; configure first when build/ has no Makefile.
  if [ -e build/Makefile ]; then node "$gyp" build; else node "$gyp" rebuild; fi
fi

npx --no-install tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo

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
