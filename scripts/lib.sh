# Shell helpers shared by scripts/*.sh and .ci/run. Source it, with TAG set to the prefix of
# the script's log lines:
#
#   TAG=prebuild
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It sets ROOT (the repository) and ADDONS (the two addons: binding.gyp's targets, and ADDONS
# in lib/sys/prebuilt.ts, which the loader and scripts/install.js use). Nothing here runs on
# its own: every line below defines something.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Each is built as build/Release/<name>.node and ships as prebuilds/linux-<arch>/<name>.node.
ADDONS=(aio_notify aio_notify_tools)

log() { printf '[%s] %s\n' "${TAG:-aio-notify}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${TAG:-aio-notify}" "$*" >&2; exit 1; }

now() { date +%s.%N; }
# Seconds since $1 (a `now` value), one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# phase NAME COMMAND...: runs COMMAND under a header and records how long it took in TIMINGS
# (print_timings lists them).
TIMINGS=()
phase() {
  local name=$1 t0 secs
  shift
  log "---- $name ----"
  t0=$(now)
  "$@"
  secs=$(since "$t0")
  TIMINGS+=("$(printf '%-24s %7ss' "$name" "$secs")")
  log "$name: ${secs}s"
}
print_timings() {
  local line
  log "timings:"
  for line in "${TIMINGS[@]}"; do log "  $line"; done
}

# Runs a command as root, through sudo when we are not (GitHub-style runners).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# apt_install [apt-get install option...] PACKAGE...: apt-get update, then install, as root;
# each waits up to 5 minutes for a concurrent apt or dpkg. APT_TIMEOUT (seconds) bounds the
# whole (default: none).
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive timeout "${APT_TIMEOUT:-0}" \
    bash -c 'apt-get -o DPkg::Lock::Timeout=300 update -qq &&
             apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"' apt "$@"
}

# Prints the path of npm's own node-gyp (node-gyp.js, run it with node): the one an install's
# source build uses. A bare `node-gyp` is often not on PATH, and a newer one may not support
# this Node.
find_node_gyp() {
  local npm_root candidate
  npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  for candidate in "${npm_config_node_gyp:-}" "$npm_root/node_modules/node-gyp/bin/node-gyp.js" \
      "$ROOT/node_modules/node-gyp/bin/node-gyp.js"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  echo "npm's node-gyp not found (looked under $npm_root/node_modules/node-gyp)" >&2
  return 1
}

# Prints the directory of Node's headers for node-gyp: the nodedir npm uses (~/.npmrc on these
# machines: nodedir=/usr), else the running Node's own install when it ships them (official
# tarballs and distribution packages put include/node beside bin/); nothing lets node-gyp
# download them.
node_headers() {
  local dir
  dir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
  if [ -n "$dir" ] && [ "$dir" != undefined ] && [ "$dir" != null ]; then printf '%s\n' "$dir"; return 0; fi
  dir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$dir/include/node/node_api.h" ]; then printf '%s\n' "$dir"; fi
  return 0
}

# stage_package DIR: a copy of the package in DIR to build the addons in (node-gyp always
# writes ./build) and run the compiled suite from, the tree's own ./build untouched.
# package.json, binding.gyp, native/ and dist/ are copied: dist/ is not linked, because Node
# resolves symlinks and `bindings` would then find the addons in the tree's ./build. The other
# top-level entries (node_modules, which holds only JavaScript and headers, README.md, docs/,
# scripts/, ...) are data or JavaScript that some tests read: linked. Not build/ (the addons
# under test are the stage's own), nor prebuilds/ (the loader would take them first), nor an
# entry that holds DIR.
stage_package() {
  local dir=$1 entry
  rm -rf "$dir" && mkdir -p "$dir"
  cp -a "$ROOT/package.json" "$ROOT/binding.gyp" "$ROOT/native" "$ROOT/dist" "$dir/"
  for entry in "$ROOT"/*; do
    case "${entry##*/}" in
      package.json|binding.gyp|native|dist|build|prebuilds) continue ;;
    esac
    case "$dir/" in "$entry"/*) continue ;; esac
    ln -s "$entry" "$dir/${entry##*/}"
  done
}

# `tests pass fail` summed over the node test runner's summaries in a log (TAP `# pass 3` or
# spec `ℹ pass 3`).
count_tests() {
  awk '$1 ~ /^(#|ℹ)$/ && $2 ~ /^(tests|pass|fail)$/ && $3 ~ /^[0-9]+$/ { n[$2] += $3 }
       END { printf "%d %d %d\n", n["tests"], n["pass"], n["fail"] }' "$1"
}
