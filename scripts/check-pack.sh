#!/usr/bin/env bash
# What a user gets from `npm pack`: the file list, the size, and an install that needs no compiler.
#
#   bash scripts/check-pack.sh [--arm64] [--artifacts DIR] [package.tgz]
#
#   1. pack: `npm pack --json` (prepack builds the prebuilt binaries), unless a tarball is given;
#      the same JSON `npm pack --dry-run` prints: the file list and sizes
#   2. files: what must ship (LICENSE, README, docs the CLI and README point to, both addons'
#      prebuilt binaries for both architectures, the compiled library and CLI, every source of a
#      source build of both addons) and what must not (source maps, tests, TypeScript sources, a
#      developer's build/); packed and unpacked size budgets
#   3. install: the tarball into a fresh app, with PATH holding node, npm and sh only (no compiler, no make,
#      no python) and --ignore-scripts; require('aio-notify') and `npx aio-notify doctor --quick` exit 0;
#      then `npm rebuild aio-notify` with scripts on, still without a compiler, takes the prebuilt binaries
#   4. --arm64: the same require and doctor with the official arm64 Node under qemu-user (set up by
#      `npm run test:arm64 -- --setup-only`), on the linux-arm64 prebuilt binaries
# --artifacts DIR keeps the doctors' JSON reports there (doctor-<arch>.json).
#
# Environment (optional): PACK_DIR work directory (default: a fresh mktemp -d, removed afterwards)
set -euo pipefail

TAG=check-pack
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAX_PACKED_KB=440       # the tarball (KiB): 300 in November 2026 with one addon; 404 after the split into
                        # two addons (four binaries: the common code and Node-API glue are in each)
MAX_UNPACKED_KB=1400    # 990 then; about 1270 after the split
ARM=$ROOT/.arm64        # scripts/test-arm64.sh's work directory: the arm64 Node
ARM64=0 ARTIFACTS="" TARBALL=""
while [ $# -gt 0 ]; do
  case $1 in
    --arm64) ARM64=1; shift ;;
    --artifacts) ARTIFACTS=$(realpath -m "$2"); shift 2 ;;
    -*) echo "check-pack: unknown option $1" >&2; exit 2 ;;
    *) TARBALL=$(realpath "$1"); shift ;;
  esac
done

WORK=${PACK_DIR:-}
if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/aio-notify-pack.XXXXXX); trap 'rm -rf "$WORK"' EXIT; fi
mkdir -p "$WORK"

# ---- 1. pack ----------------------------------------------------------------------------------
if [ -z "$TARBALL" ]; then
  log "npm pack (prepack builds the prebuilt binaries)"
  (cd "$ROOT" && npm pack --json --pack-destination "$WORK" >"$WORK/pack.json") || die "npm pack failed"
  TARBALL=$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")
fi
[ -f "$TARBALL" ] || die "no tarball: $TARBALL"
tar tzf "$TARBALL" | sed 's|^package/||' | sort >"$WORK/files.txt"
PACKED=$(stat -c %s "$TARBALL")
UNPACKED=$(tar xzOf "$TARBALL" | wc -c)
log "$(basename "$TARBALL"): $(wc -l <"$WORK/files.txt") files, $((PACKED / 1024)) kB packed, $((UNPACKED / 1024)) kB unpacked"

# ---- 2. the file list -------------------------------------------------------------------------
problems=()
binaries=()
for name in "${ADDONS[@]}"; do binaries+=("prebuilds/linux-x64/$name.node" "prebuilds/linux-arm64/$name.node"); done
for f in package.json README.md LICENSE BENCHMARKS.md docs/diagnosis.md docs/doctor-json.md \
    docs/doctor-report.schema.json "${binaries[@]}" \
    dist/lib/index.js dist/lib/index.d.ts dist/bin/aio-notify.js scripts/install.js binding.gyp \
    $(cd "$ROOT" && find native -type f | sort); do
  grep -qxF "$f" "$WORK/files.txt" || problems+=("missing: $f")
done
while IFS= read -r f; do problems+=("must not ship: $f"); done < <(
  grep -E '\.map$|^dist/test/|^test/|^build/|^lib/|^\.|(^|/)[^/]*\.ts$' "$WORK/files.txt" | grep -v '\.d\.ts$' || true)
# Every file the CLI or the README names must be in the package.
while IFS= read -r f; do
  grep -qxF "$f" "$WORK/files.txt" || problems+=("named by README.md or the CLI, not shipped: $f")
done < <(cat "$ROOT/README.md" "$ROOT"/lib/cli/*.ts | grep -oE '\b(docs/[A-Za-z0-9_./-]+\.(md|json)|BENCHMARKS\.md|LICENSE)\b' | sort -u)
[ $((PACKED / 1024)) -le $MAX_PACKED_KB ] || problems+=("packed size $((PACKED / 1024)) kB > budget $MAX_PACKED_KB kB")
[ $((UNPACKED / 1024)) -le $MAX_UNPACKED_KB ] || problems+=("unpacked size $((UNPACKED / 1024)) kB > budget $MAX_UNPACKED_KB kB")
if [ ${#problems[@]} -gt 0 ]; then printf '  %s\n' "${problems[@]}" >&2; die "the tarball's contents"; fi
log "file list ok; sizes within ${MAX_PACKED_KB} kB packed / ${MAX_UNPACKED_KB} kB unpacked"

# The shipped binaries: the right machine, stripped, and within the glibc baseline.
mkdir -p "$WORK/unpacked"
tar xzf "$TARBALL" -C "$WORK/unpacked" package/prebuilds
for arch in x64:X86-64 arm64:AArch64; do
  for name in "${ADDONS[@]}"; do
    f=$WORK/unpacked/package/prebuilds/linux-${arch%%:*}/$name.node
    readelf -h "$f" | grep -q "Machine:.*${arch#*:}" || die "$f is not a ${arch#*:} ELF"
    ! readelf -S "$f" | grep -q '\.symtab' || die "$f is not stripped"
  done
done
bash "$ROOT/scripts/check-glibc.sh" "$WORK"/unpacked/package/prebuilds/*/*.node

# ---- 3. install without a compiler ------------------------------------------------------------
NOTOOLS=$WORK/bin
mkdir -p "$NOTOOLS"
# npm and npx run scripts and bins through sh; nothing else a user surely has is needed.
for tool in node npm npx sh; do ln -sf "$(readlink -f "$(command -v $tool)")" "$NOTOOLS/$tool"; done
for tool in g++ c++ gcc cc make python3 python; do
  ! PATH=$NOTOOLS command -v "$tool" >/dev/null || die "$tool is still on the restricted PATH"
done
APP=$WORK/app
rm -rf "$APP" && mkdir -p "$APP"
printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$APP/package.json"
log "npm install --ignore-scripts <tarball> with PATH=$NOTOOLS (node, npm, npx, sh)"
(cd "$APP" && PATH=$NOTOOLS npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$TARBALL") \
  || die "npm install of the tarball"
[ ! -e "$APP/node_modules/aio-notify/build" ] || die "something was built during the install"
probe='const a = require("aio-notify"); const n = new a.EventNotifier(false); n.set();
  if (!n.testAndClear()) throw new Error("eventfd round trip"); n.close();
  console.log(process.arch, process.version, "require(\"aio-notify\") ok")'
(cd "$APP" && PATH=$NOTOOLS node -e "$probe") || die "require('aio-notify') after the install"

doctor() {   # doctor <arch> <command...>: `aio-notify doctor --quick`, exit 0 (healthy)
  local arch=$1 out=(); shift
  [ -z "$ARTIFACTS" ] || { mkdir -p "$ARTIFACTS"; out=(--json-out "$ARTIFACTS/doctor-$arch.json"); }
  log "$arch: aio-notify doctor --quick"
  (cd "$APP" && PATH=$NOTOOLS "$@" doctor --quick "${out[@]}") || die "$arch: aio-notify doctor --quick exited $?"
}
doctor "$(node -p process.arch)" npx --no-install aio-notify

log "npm rebuild aio-notify with install scripts on, still no compiler"
(cd "$APP" && PATH=$NOTOOLS npm rebuild aio-notify --foreground-scripts --loglevel=error 2>&1) | tee "$WORK/rebuild.log"
for name in "${ADDONS[@]}"; do
  grep -q "using the prebuilt binaries .*prebuilds/linux-$(node -p process.arch)/$name.node" "$WORK/rebuild.log" \
    || die "the install script did not take the prebuilt binary $name.node"
done

# ---- 4. the arm64 binary under qemu-user ------------------------------------------------------
if [ "$ARM64" = 1 ]; then
  [ "$(node -p process.arch)" = x64 ] || die "--arm64 is for x86_64 hosts (on arm64 the run above was native)"
  [ -x "$ARM/package/bin/node" ] || die "no arm64 Node in $ARM: run 'npm run test:arm64 -- --setup-only' first"
  export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
  ARM_NODE=("$ARM/package/bin/node")
  "${ARM_NODE[@]}" -e 0 2>/dev/null || ARM_NODE=("$(command -v qemu-aarch64-static)" -L "$QEMU_LD_PREFIX" "$ARM/package/bin/node")
  (cd "$APP" && "${ARM_NODE[@]}" -e "$probe") || die "arm64: require('aio-notify')"
  doctor arm64 "${ARM_NODE[@]}" node_modules/aio-notify/dist/bin/aio-notify.js
fi
log "ok"
