#!/usr/bin/env bash
# Sanitizer runs of the addon and of its native mechanisms (issue 5, "Sanitizers").
#
#   bash scripts/sanitize.sh                  everything below, in order
#   bash scripts/sanitize.sh --only addon     one or more of: canaries, addon, native (comma-separated)
#
#   canaries  tiny programs with a heap overflow, a signed-integer overflow and a data race are
#             built with the flags below and must be reported by ASan, UBSan and TSan with the
#             options below: proof that the runs that follow can fail.
#   addon     the addon built with AddressSanitizer + UndefinedBehaviorSanitizer in a copy of the
#             package ($SANITIZE_DIR/pkg: the tree's ./build is untouched), then the compiled test
#             suite (dist/test/*/*.test.js) and the addon stress tests (dist/test/native/*.test.js)
#             under node with the ASan runtime preloaded. V8 is not instrumented, so leak
#             detection is off there. Any ASan or UBSan report fails the run, as does a failing
#             or missing test.
#   native    each C++ driver test/native/*_tsan.cc (today: relay_tsan.cc, the signal relay
#             without Node), built with the sources its `// sanitize-sources:` line names, run
#             under ThreadSanitizer, and again under ASan + UBSan with leak detection on. The
#             native wake harness (native/tools/harness.cc, another branch) gets its driver the same
#             way: a test/native/harness_tsan.cc naming the harness's napi-free sources.
#
# Needs `npm install` to have run (node_modules/, dist/) and g++ with its sanitizer runtimes
# (libasan, libubsan, libtsan: part of Debian's gcc). Exit status non-zero when anything fails.
#
# Environment (all optional):
#   SANITIZE_DIR              work directory (default: <repo>/.sanitize, git-ignored)
#   SANITIZE_TSAN_ITERATIONS  open/close rounds per subscriber thread of the drivers (default 1000)
#   SANITIZE_TEST_TIMEOUT     seconds for the node test run (default 1200)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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

log() { printf '[sanitize] %s\n' "$*"; }
die() { printf '[sanitize] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
TIMINGS=()
RESULTS=()

phase() {
  local name=$1 t0 secs
  shift
  log "---- $name ----"
  t0=$(now)
  "$@"
  secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  TIMINGS+=("$(printf '%-24s %7ss' "$name" "$secs")")
  log "$name: ${secs}s"
}

summary() {
  local rc=$? line
  log "summary (exit $rc):"
  for line in "${RESULTS[@]}"; do log "  $line"; done
  for line in "${TIMINGS[@]}"; do log "  $line"; done
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

# npm's own node-gyp, the one `npm install` uses (as in scripts/test-arm64.sh).
find_node_gyp() {
  local npm_root candidate
  npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  for candidate in \
      "${npm_config_node_gyp:-}" \
      "$npm_root/node_modules/node-gyp/bin/node-gyp.js" \
      "$ROOT/node_modules/node-gyp/bin/node-gyp.js"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  die "npm's node-gyp not found (looked under $npm_root/node_modules/node-gyp)"
}

# Node's headers: the nodedir npm uses (~/.npmrc here: nodedir=/usr), else node's own prefix
# when it ships them; empty lets node-gyp fetch them.
find_nodedir() {
  local d prefix
  d=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
  if [ -n "$d" ] && [ "$d" != undefined ] && [ "$d" != null ]; then printf '%s\n' "$d"; return; fi
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -f "$prefix/include/node/node_api.h" ] && printf '%s\n' "$prefix"
  return 0
}

build_addon() {
  local gyp nodedir addon needed symbols
  [ -d "$ROOT/node_modules/node-addon-api" ] || die "node_modules missing: run 'npm install' first"
  compgen -G "$ROOT/dist/lib/*.js" >/dev/null || die "dist/ missing: run 'npm install' first"
  gyp=$(find_node_gyp)
  nodedir=$(find_nodedir)
  # node-gyp always writes ./build: build in a copy of the package. dist/ is copied, not linked,
  # so that `bindings` (which resolves from the real path of dist/) loads this copy's addon.
  rm -rf "$STAGE" && mkdir -p "$STAGE"
  cp -a "$ROOT/package.json" "$ROOT/binding.gyp" "$ROOT/native" "$ROOT/dist" "$STAGE/"
  # The other top-level files (node_modules, README.md, docs/, scripts/, ...) are data or
  # JavaScript that some tests read: link them. Not build/ (the addon under test is the
  # stage's own) nor prebuilds/ (the loader would take a prebuilt binary first).
  local entry
  for entry in "$ROOT"/*; do
    case "${entry##*/}" in
      package.json|binding.gyp|native|dist|build|prebuilds) ;;
      *) ln -s "$entry" "$STAGE/${entry##*/}" ;;
    esac
  done
  log "node-gyp: $gyp (nodedir: ${nodedir:-default})"
  (cd "$STAGE" && env CFLAGS="${ASAN_UBSAN_FLAGS[*]}" CXXFLAGS="${ASAN_UBSAN_FLAGS[*]}" \
      LDFLAGS="-fsanitize=address,undefined" ${nodedir:+npm_config_nodedir="$nodedir"} \
      node "$gyp" rebuild --jobs=max >"$LOGS/build.log" 2>&1) \
    || { tail -n 30 "$LOGS/build.log" >&2; die "the ASan+UBSan build of the addon failed"; }
  addon=$STAGE/build/Release/aio_notify.node
  [ -f "$addon" ] || die "the build produced no $addon"
  needed=$(readelf -d "$addon" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
  [[ $needed == *libasan* && $needed == *libubsan* ]] \
    || die "aio_notify.node is not linked with the sanitizer runtimes (NEEDED: $needed)"
  symbols=$(nm -D --undefined-only "$addon")
  [[ $symbols == *__asan_report_* ]] || die "aio_notify.node has no ASan checks"
  [[ $symbols == *__ubsan_handle_* ]] || die "aio_notify.node has no UBSan checks"
  log "built $addon (NEEDED: $needed)"
}

# `tests pass fail` summed over node's test runner summaries (TAP `# pass 3` or spec `ℹ pass 3`).
count_results() {
  awk '$1 ~ /^(#|ℹ)$/ && $2 ~ /^(tests|pass|fail)$/ && $3 ~ /^[0-9]+$/ { n[$2] += $3 }
       END { printf "%d %d %d\n", n["tests"], n["pass"], n["fail"] }' "$1"
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
  read -r t p f < <(count_results "$LOGS/test.log")
  RESULTS+=("addon (ASan+UBSan): $t tests, $p passed, $f failed ($suite suite files, $own stress files)")
  check_reports "addon tests"
  if [ "$rc" -ne 0 ] || [ "$t" -eq 0 ] || [ "$f" -ne 0 ]; then
    grep -E '^not ok|✖|Error|error' "$LOGS/test.log" | head -n 40 >&2 || true
    die "the test run under ASan+UBSan failed (exit $rc, $t tests, $f failed; log: $LOGS/test.log)"
  fi
}

native_drivers() {
  local src name sources bin rc out found=0
  for src in "$ROOT"/test/native/*_tsan.cc; do
    [ -e "$src" ] || continue
    found=1
    name=$(basename "$src" .cc)
    sources=()
    for s in $(sed -n 's|^// sanitize-sources: *||p' "$src"); do sources+=("$ROOT/$s"); done
    for kind in tsan asan; do
      bin=$DIR/$name.$kind
      out=$LOGS/$name.$kind.log
      if [ "$kind" = tsan ]; then
        g++ -std=c++17 -Wall -Wextra "${TSAN_FLAGS[@]}" -pthread -I"$ROOT/native/common" -I"$ROOT/native/core" -I"$ROOT/native/tools" \
          "$src" "${sources[@]}" -o "$bin"
      else
        g++ -std=c++17 -Wall -Wextra "${ASAN_UBSAN_FLAGS[@]}" -pthread -I"$ROOT/native/common" -I"$ROOT/native/core" -I"$ROOT/native/tools" \
          "$src" "${sources[@]}" -o "$bin"
      fi
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
log "all sanitizer runs passed in $(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')s"
