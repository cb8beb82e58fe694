#!/usr/bin/env bash
# Sanitizer runs of the addons and of their native mechanisms (issue 5, "Sanitizers").
#
#   bash scripts/sanitize.sh                  everything below, in order
#   bash scripts/sanitize.sh --only addon     one or more of: canaries, addon, native (comma-separated)
#
#   canaries  tiny programs with a heap overflow, a signed-integer overflow and a data race are
#             built with the flags below and must be reported by ASan, UBSan and TSan with the
#             options below: proof that the runs that follow can fail.
#   addon     both addons (aio_notify and aio_notify_tools) built with AddressSanitizer +
#             UndefinedBehaviorSanitizer in a copy of the package ($SANITIZE_DIR/pkg: the tree's
#             ./build is untouched), then the compiled test suite (dist/test/*/*.test.js) and the
#             addon stress tests (dist/test/native/*.test.js) under node with the ASan runtime
#             preloaded. V8 is not instrumented, so leak
#             detection is off there. Any ASan or UBSan report fails the run, as does a failing
#             or missing test.
#   native    each C++ driver test/native/*_tsan.cc, built with the sources its
#             `// sanitize-sources:` line names, run under ThreadSanitizer, and again under
#             ASan + UBSan with leak detection on: relay_tsan.cc (the signal relay of the core
#             addon, without Node) and harness_tsan.cc (the tools addon's napi-free harnesses).
#
# Needs `npm install` to have run (node_modules/, dist/) and g++ with its sanitizer runtimes
# (libasan, libubsan, libtsan: part of Debian's gcc). Exit status non-zero when anything fails.
#
# Environment (all optional):
#   SANITIZE_DIR              work directory (default: <repo>/.sanitize, git-ignored)
#   SANITIZE_TSAN_ITERATIONS  open/close rounds per subscriber thread of the drivers (default 1000)
#   SANITIZE_TEST_TIMEOUT     seconds for the node test run (default 1200)
set -euo pipefail

TAG=sanitize
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR=${SANITIZE_DIR:-$ROOT/.sanitize}
STAGE=$DIR/pkg
LOGS=$DIR/logs
ITERATIONS=${SANITIZE_TSAN_ITERATIONS:-1000}
ONLY=canaries,addon,native

ASAN_UBSAN_FLAGS=(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -g -O1)
TSAN_FLAGS=(-fsanitize=thread -g -O1)
# handle_segv=0 & co: V8 handles SIGSEGV itself (e.g. WebAssembly bounds checks).
ASAN_NODE_OPTIONS="detect_leaks=0:halt_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:allow_user_segv_handler=1"
UBSAN_RUN_OPTIONS="halt_on_error=1:print_stacktrace=1"
TSAN_RUN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=1:exitcode=66"

while [ $# -gt 0 ]; do
  case $1 in
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "sanitize: unknown argument: $1" >&2; exit 2 ;;
  esac
done

RESULTS=()

summary() {
  local rc=$? line
  log "summary (exit $rc):"
  for line in "${RESULTS[@]}"; do log "  $line"; done
  print_timings
}
trap summary EXIT

runtime() {
  local path
  path=$(g++ -print-file-name="$1")
  [ "${path#/}" != "$path" ] && [ -e "$path" ] || die "$1 not found (g++ -print-file-name): install gcc's sanitizer runtimes"
  printf '%s\n' "$path"
}

preflight() {
  command -v g++ >/dev/null || die "g++ not found"
  command -v node >/dev/null || die "node not found"
  LIBASAN=$(runtime libasan.so)
  runtime libubsan.so >/dev/null
  runtime libtsan.so >/dev/null
  log "$(g++ --version | head -n1); ASan runtime $LIBASAN"
  mkdir -p "$DIR" "$LOGS"
  rm -f "$LOGS"/*
}

# A sanitizer report on stderr or in a log_path file, with the expected words.
expect_report() {
  local what=$1 pattern=$2 rc=$3 out=$4
  if [ "$rc" -ne 0 ] && grep -q "$pattern" "$out"; then
    RESULTS+=("canary $what: reported ($pattern, exit $rc)")
  else
    sed 's/^/    /' "$out" | head -n 20 >&2
    die "canary $what: expected '$pattern' and a non-zero exit, got exit $rc"
  fi
}

canaries() {
  local c=$DIR/canaries rc
  mkdir -p "$c"
  cat >"$c/asan_ubsan.cc" <<'EOF'
#include <climits>
#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
  if (strcmp(argv[1], "heap") == 0) {
    char* p = new char[8];
    volatile char* q = p;
    q[argc + 6] = 1;  // argc is 2: one past the end
    delete[] p;
  } else {
    volatile int x = INT_MAX;
    x = x + argc;  // signed overflow
    printf("%d\n", x);
  }
  return 0;
}
EOF
  cat >"$c/tsan.cc" <<'EOF'
#include <thread>
int counter;
int main() {
  std::thread a([] { for (int i = 0; i < 100000; i++) counter++; });
  std::thread b([] { for (int i = 0; i < 100000; i++) counter++; });
  a.join();
  b.join();
  return counter == 0;
}
EOF
  g++ -std=c++17 "${ASAN_UBSAN_FLAGS[@]}" "$c/asan_ubsan.cc" -o "$c/asan_ubsan"
  g++ -std=c++17 "${TSAN_FLAGS[@]}" -pthread "$c/tsan.cc" -o "$c/tsan"
  # (UBSan's object-size check sees that store first: let it warn, so that ASan's report follows)
  rc=0; ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=0 "$c/asan_ubsan" heap >"$c/heap.out" 2>&1 || rc=$?
  expect_report ASan 'heap-buffer-overflow' "$rc" "$c/heap.out"
  rc=0; ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=$UBSAN_RUN_OPTIONS "$c/asan_ubsan" int >"$c/int.out" 2>&1 || rc=$?
  expect_report UBSan 'signed integer overflow' "$rc" "$c/int.out"
  rc=0; TSAN_OPTIONS=$TSAN_RUN_OPTIONS "$c/tsan" >"$c/tsan.out" 2>&1 || rc=$?
  expect_report TSan 'ThreadSanitizer: data race' "$rc" "$c/tsan.out"
}

build_addon() {
  local gyp nodedir addon needed symbols name
  [ -d "$ROOT/node_modules/node-addon-api" ] || die "node_modules missing: run 'npm install' first"
  compgen -G "$ROOT/dist/lib/*.js" >/dev/null || die "dist/ missing: run 'npm install' first"
  gyp=$(find_node_gyp) || die "no node-gyp"
  nodedir=$(node_headers)
  stage_package "$STAGE"
  log "node-gyp: $gyp (nodedir: ${nodedir:-default})"
  (cd "$STAGE" && env CFLAGS="${ASAN_UBSAN_FLAGS[*]}" CXXFLAGS="${ASAN_UBSAN_FLAGS[*]}" \
      LDFLAGS="-fsanitize=address,undefined" ${nodedir:+npm_config_nodedir="$nodedir"} \
      node "$gyp" rebuild --jobs=max >"$LOGS/build.log" 2>&1) \
    || { tail -n 30 "$LOGS/build.log" >&2; die "the ASan+UBSan build of the addons failed"; }
  for name in "${ADDONS[@]}"; do
    addon=$STAGE/build/Release/$name.node
    [ -f "$addon" ] || die "the build produced no $addon"
    needed=$(readelf -d "$addon" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
    [[ $needed == *libasan* && $needed == *libubsan* ]] \
      || die "$name.node is not linked with the sanitizer runtimes (NEEDED: $needed)"
    symbols=$(nm -D --undefined-only "$addon")
    [[ $symbols == *__asan_report_* ]] || die "$name.node has no ASan checks"
    [[ $symbols == *__ubsan_handle_* ]] || die "$name.node has no UBSan checks"
    log "built $addon (NEEDED: $needed)"
  done
}

# Any report the sanitizers wrote (log_path files: <prefix>.<pid>) fails the run.
check_reports() {
  local what=$1 f found=0
  for f in "$LOGS"/asan.* "$LOGS"/ubsan.*; do
    [ -e "$f" ] || continue
    found=1
    log "$what: sanitizer report $f:"
    sed 's/^/    /' "$f" | head -n 60
  done
  [ "$found" = 0 ] || die "$what: the sanitizers reported errors"
}

run_suite() {
  local tests=() suite=0 own=0 rc=0 t p f
  cd "$STAGE"
  for t in dist/test/*/*.test.js; do case $t in */native/*|*/integration/*) continue ;; esac; [ -e "$t" ] && tests+=("$t") && suite=$((suite + 1)); done
  for t in dist/test/native/*.test.js; do [ -e "$t" ] && tests+=("$t") && own=$((own + 1)); done
  [ "$suite" -gt 0 ] || log "WARNING: no dist/test/*/*.test.js: only the addon stress tests run"
  [ ${#tests[@]} -gt 0 ] || die "no test file to run"
  log "node --test: $suite suite files + $own addon stress files, libasan preloaded"
  env LD_PRELOAD="$LIBASAN" \
      ASAN_OPTIONS="$ASAN_NODE_OPTIONS:log_path=$LOGS/asan" \
      UBSAN_OPTIONS="$UBSAN_RUN_OPTIONS:log_path=$LOGS/ubsan" \
      AIO_NOTIFY_SANITIZER="$STAGE" \
      timeout --kill-after=30 "${SANITIZE_TEST_TIMEOUT:-1200}" \
      node --test "${tests[@]}" </dev/null >"$LOGS/test.log" 2>&1 || rc=$?
  cd "$ROOT"
  read -r t p f < <(count_tests "$LOGS/test.log")
  RESULTS+=("addon (ASan+UBSan): $t tests, $p passed, $f failed ($suite suite files, $own stress files)")
  check_reports "addon tests"
  if [ "$rc" -ne 0 ] || [ "$t" -eq 0 ] || [ "$f" -ne 0 ]; then
    grep -E '^not ok|✖|Error|error' "$LOGS/test.log" | head -n 40 >&2 || true
    die "the test run under ASan+UBSan failed (exit $rc, $t tests, $f failed; log: $LOGS/test.log)"
  fi
}

native_drivers() {
  local src name sources flags bin rc out found=0
  for src in "$ROOT"/test/native/*_tsan.cc; do
    [ -e "$src" ] || continue
    found=1
    name=$(basename "$src" .cc)
    sources=()
    for s in $(sed -n 's|^// sanitize-sources: *||p' "$src"); do sources+=("$ROOT/$s"); done
    for kind in tsan asan; do
      bin=$DIR/$name.$kind
      out=$LOGS/$name.$kind.log
      if [ "$kind" = tsan ]; then flags=("${TSAN_FLAGS[@]}"); else flags=("${ASAN_UBSAN_FLAGS[@]}"); fi
      g++ -std=c++17 -Wall -Wextra "${flags[@]}" -pthread \
        -I"$ROOT/native/common" -I"$ROOT/native/core" -I"$ROOT/native/tools" "$src" "${sources[@]}" -o "$bin"
      rc=0
      TSAN_OPTIONS=$TSAN_RUN_OPTIONS ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
        UBSAN_OPTIONS=$UBSAN_RUN_OPTIONS timeout --kill-after=10 600 "$bin" "$ITERATIONS" \
        >"$out" 2>&1 || rc=$?
      if [ "$rc" -ne 0 ]; then
        sed 's/^/    /' "$out" | head -n 80 >&2
        die "$name under $kind failed (exit $rc; log: $out)"
      fi
      RESULTS+=("$name ($kind): $(tail -n1 "$out")")
      log "$name ($kind): $(tail -n1 "$out")"
    done
  done
  [ "$found" = 1 ] || die "no test/native/*_tsan.cc driver"
}

T0=$(now)
preflight
[[ ",$ONLY," != *,canaries,* ]] || phase canaries canaries
if [[ ",$ONLY," == *,addon,* ]]; then
  phase "addon build" build_addon
  phase "addon tests" run_suite
fi
[[ ",$ONLY," != *,native,* ]] || phase "native drivers" native_drivers
log "all sanitizer runs passed in $(since "$T0")s"
