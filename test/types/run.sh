#!/usr/bin/env bash
# The types test: test/types/consumer.ts, a strict consumer (skipLibCheck off), compiled against
# the package under node16, nodenext and bundler module resolution, with the oldest TypeScript the
# package supports and the newest, both installed from the npm registry into a fresh directory.
#
#   bash test/types/run.sh [package.tgz]     (npm run test:types; default: this tree, built)
#
# Oldest supported: TypeScript 5.7 (the published .d.ts carry typed-array generics,
# `Int32Array<ArrayBuffer>`, which TypeScript understands from 5.7 on).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TS_OLDEST=${TS_OLDEST:-5.7.3}
TS_NEWEST=${TS_NEWEST:-latest}
TYPES_NODE=${TYPES_NODE:-^20.19}   # the package's own @types/node range; users on newer Node get newer
TARBALL=${1:-}

WORK=$(mktemp -d /tmp/aio-notify-types.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
printf '{ "name": "types-consumer", "private": true, "type": "module" }\n' >package.json
npm install --no-audit --no-fund --loglevel=error \
  "ts-oldest@npm:typescript@$TS_OLDEST" "ts-newest@npm:typescript@$TS_NEWEST" "@types/node@$TYPES_NODE" \
  ${TARBALL:+--ignore-scripts "$(realpath "$TARBALL")"}
if [ -z "$TARBALL" ]; then
  [ -f "$ROOT/dist/lib/index.d.ts" ] || { echo "types: no dist/lib/index.d.ts: run npm run build" >&2; exit 1; }
  ln -s "$ROOT" node_modules/aio-notify
fi
cp "$HERE/consumer.ts" .

rc=0
for ts in oldest newest; do
  version=$(node -p "require('./node_modules/ts-$ts/package.json').version")
  for mode in node16 nodenext bundler; do
    module=$mode; [ "$mode" != bundler ] || module=esnext
    cat >"tsconfig.$mode.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "skipLibCheck": false, "target": "es2022",
    "lib": ["es2022"], "types": ["node"], "module": "$module", "moduleResolution": "$mode" },
  "files": ["consumer.ts"] }
JSON
    if node "node_modules/ts-$ts/bin/tsc" -p "tsconfig.$mode.json" >"tsc.log" 2>&1; then
      echo "types: typescript $version, $mode: ok"
    else
      echo "types: typescript $version, $mode: FAILED"; sed 's/^/    /' tsc.log; rc=1
    fi
  done
done
exit "$rc"
