#!/usr/bin/env bash
# Build the prebuilt binaries that `npm pack` ships (package.json: prepack), or remove them (postpack).
#
#   bash scripts/prebuild.sh            prebuilds/linux-x64/{aio_notify,aio_notify_tools}.node,
#                                       prebuilds/linux-arm64/... (both addons for each architecture)
#   bash scripts/prebuild.sh --clean    remove prebuilds/ (after the tarball is written)
#
# Each architecture's two binaries are built by npm's node-gyp in a copy of the package (the tree's
# ./build, the developer's own source build, is untouched), with the running Node's headers (N-API:
# one binary serves every Node version), stripped, and checked by scripts/check-glibc.sh: nothing
# newer than glibc 2.28 and GCC 8's libstdc++. x64 with the host compiler, arm64 with
# g++-aarch64-linux-gnu (Debian's cross compiler; `npm run test:arm64 -- --setup-only` installs
# it). On an arm64 host the roles swap.
#
# Environment (optional):
#   PREBUILD_ARCHES   which binaries to build (default: "x64 arm64"; both ship, so npm pack needs both)
#   PREBUILD_DIR      work directory (default: <repo>/.prebuild, git-ignored)
set -euo pipefail

TAG=prebuild
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK=${PREBUILD_DIR:-$ROOT/.prebuild}
OUT=$ROOT/prebuilds

# All output on stderr: `npm pack --json` prints its JSON on stdout, after this script ran.
exec 1>&2

if [ "${1:-}" = --clean ]; then rm -rf "$OUT" "$WORK"; exit 0; fi

host_arch() { node -p process.arch; }

# build <arch>: node-gyp in $WORK/<arch>, then strip each addon into prebuilds/linux-<arch>/<name>.node.
build() {
  local arch=$1 stage=$WORK/$1 target=$OUT/linux-$1 gyp headers cross=() strip=strip name
  gyp=$(find_node_gyp) || die "no node-gyp"
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
  headers=$(node_headers)
  log "linux-$arch: node-gyp rebuild${headers:+ (headers: $headers)}"
  (cd "$stage" && env "${cross[@]}" ${headers:+npm_config_nodedir="$headers"} \
      node "$gyp" rebuild --arch="$arch" --jobs=max --loglevel=warn ${headers:+--nodedir="$headers"}) \
    || die "node-gyp failed for linux-$arch"
  mkdir -p "$target"
  for name in "${ADDONS[@]}"; do
    "$strip" --strip-unneeded -o "$target/$name.node" "$stage/build/Release/$name.node"
    log "linux-$arch: $name.node $(stat -c %s "$target/$name.node") bytes (stripped)"
  done
}

rm -rf "$OUT"
for arch in ${PREBUILD_ARCHES:-x64 arm64}; do build "$arch"; done
bash "$ROOT/scripts/check-glibc.sh" "$OUT"/*/*.node
rm -rf "$WORK"
