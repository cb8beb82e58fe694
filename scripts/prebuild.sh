#!/usr/bin/env bash
# Build the prebuilt binaries that `npm pack` ships (package.json: prepack), or remove them (postpack).
#
#   bash scripts/prebuild.sh            prebuilds/linux-x64/aio_notify.node, prebuilds/linux-arm64/...
#   bash scripts/prebuild.sh --clean    remove prebuilds/ (after the tarball is written)
#
# Each binary is built by npm's node-gyp in a copy of the package (the tree's ./build, the developer's
# own source build, is untouched), with the running Node's headers (N-API: one binary serves every
# Node version), stripped, and checked by scripts/check-glibc.sh: nothing newer than glibc 2.28 and
# GCC 8's libstdc++. x64 with the host compiler, arm64 with g++-aarch64-linux-gnu (Debian's cross
# compiler; `npm run test:arm64 -- --setup-only` installs it). On an arm64 host the roles swap.
#
# Environment (optional):
#   PREBUILD_ARCHES   which binaries to build (default: "x64 arm64"; both ship, so npm pack needs both)
#   PREBUILD_DIR      work directory (default: <repo>/.prebuild, git-ignored)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${PREBUILD_DIR:-$ROOT/.prebuild}
OUT=$ROOT/prebuilds

log() { printf '[prebuild] %s\n' "$*"; }
die() { printf '[prebuild] ERROR: %s\n' "$*" >&2; exit 1; }

# All output on stderr: `npm pack --json` prints its JSON on stdout, after this script ran.
exec 1>&2

if [ "${1:-}" = --clean ]; then rm -rf "$OUT" "$WORK"; exit 0; fi

# Headers: npm's nodedir when set (this machine's ~/.npmrc), else the running Node's own install
# (official tarballs and distribution packages put include/node beside bin/), else node-gyp's download.
node_headers() {
  local dir=${npm_config_nodedir:-}
  [ -n "$dir" ] || dir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -f "$dir/include/node/node_api.h" ] && printf '%s\n' "$dir"
}

host_arch() { node -p process.arch; }

# build <arch>: node-gyp in $WORK/<arch>, then strip into prebuilds/linux-<arch>/aio_notify.node.
build() {
  local arch=$1 stage=$WORK/$1 target=$OUT/linux-$1 gyp headers cross=() strip=strip
  gyp=$(bash "$ROOT/scripts/find-node-gyp.sh") || die "no node-gyp"
  if [ "$arch" != "$(host_arch)" ]; then
    local triple
    case $arch in
      arm64) triple=aarch64-linux-gnu ;;
      x64) triple=x86_64-linux-gnu ;;
      *) die "no cross compiler known for $arch" ;;
    esac
    command -v "$triple-g++" >/dev/null \
      || die "$triple-g++ not found: install g++-$triple (Debian/Ubuntu), or run 'npm run test:arm64 -- --setup-only'"
    cross=(CC="$triple-gcc" CXX="$triple-g++" LINK="$triple-g++" AR="$triple-ar")
    strip=$triple-strip
  fi
  rm -rf "$stage" && mkdir -p "$stage"
  cp -a "$ROOT/package.json" "$ROOT/binding.gyp" "$ROOT/native" "$stage/"
  ln -s "$ROOT/node_modules" "$stage/node_modules"
  headers=$(node_headers || true)
  log "linux-$arch: node-gyp rebuild${headers:+ (headers: $headers)}"
  (cd "$stage" && env "${cross[@]}" ${headers:+npm_config_nodedir="$headers"} \
      node "$gyp" rebuild --arch="$arch" --jobs=max --loglevel=warn ${headers:+--nodedir="$headers"}) \
    || die "node-gyp failed for linux-$arch"
  mkdir -p "$target"
  "$strip" --strip-unneeded -o "$target/aio_notify.node" "$stage/build/Release/aio_notify.node"
  log "linux-$arch: $(stat -c %s "$target/aio_notify.node") bytes (stripped)"
}

rm -rf "$OUT"
for arch in ${PREBUILD_ARCHES:-x64 arm64}; do build "$arch"; done
bash "$ROOT/scripts/check-glibc.sh" "$OUT"/*/aio_notify.node
rm -rf "$WORK"
