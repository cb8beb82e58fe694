#!/usr/bin/env bash
# List the symbol versions each shipped .node needs from glibc and libstdc++, and fail when one is
# newer than the baseline: glibc 2.28 (what Node's own Linux binaries need: RHEL 8, Debian 10) and
# that era's libstdc++ (GCC 8: GLIBCXX_3.4.25, CXXABI_1.3.11). native/common/glibc_compat.h keeps a
# build on a newer system within it.
#
#   bash scripts/check-glibc.sh [file.node ...]
#
# Default: both addons (aio_notify, aio_notify_tools) in every prebuilds/<target>/, or in
# build/Release/ when there is no prebuilds/ (a checkout); a missing one fails.
#
# readelf, not objdump: it reads the aarch64 binary on an x86_64 host too.
set -euo pipefail

TAG=check-glibc
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAX_GLIBC=2.28
MAX_GLIBCXX=3.4.25
MAX_CXXABI=1.3.11

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  dirs=("$ROOT"/prebuilds/*/)
  [ -d "${dirs[0]}" ] || dirs=("$ROOT/build/Release/")
  for dir in "${dirs[@]}"; do
    for name in "${ADDONS[@]}"; do files+=("$dir$name.node"); done
  done
fi
rc=0
for f in "${files[@]}"; do
  [ -f "$f" ] || die "no such file: $f"
  echo "$f ($(readelf -h "$f" | awk -F: '/Machine/ { gsub(/^ +/, "", $2); print $2 }')):"
  # Undefined dynamic symbols look like `pthread_create@GLIBC_2.2.5 (3)`: keep name@VERSION.
  # (Compare newest first; a missing sort -V would fail here, not pass silently.)
  readelf -W --dyn-syms "$f" | awk '$7 == "UND" && $8 ~ /@/ { sub(/ .*/, "", $8); print $8 }' \
    | sort -u >"${TMPDIR:-/tmp}/check-glibc.$$"
  for lib in GLIBC:$MAX_GLIBC GLIBCXX:$MAX_GLIBCXX CXXABI:$MAX_CXXABI; do
    prefix=${lib%%:*} max=${lib#*:}
    newest=$(sed -n "s/.*@${prefix}_\([0-9.]*\)$/\1/p" "${TMPDIR:-/tmp}/check-glibc.$$" | sort -V | tail -n1)
    if [ -z "$newest" ]; then echo "  ${prefix}: none"; continue; fi
    if [ "$(printf '%s\n%s\n' "$newest" "$max" | sort -V | tail -n1)" = "$max" ]; then
      echo "  ${prefix}_$newest (limit ${prefix}_$max): ok"
    else
      echo "  ${prefix}_$newest is newer than ${prefix}_$max; these symbols need more than the limit:"
      grep "@${prefix}_" "${TMPDIR:-/tmp}/check-glibc.$$" | while IFS= read -r sym; do
        v=${sym##*_}
        [ "$(printf '%s\n%s\n' "$v" "$max" | sort -V | tail -n1)" = "$max" ] || echo "    $sym"
      done
      rc=1
    fi
  done
  rm -f "${TMPDIR:-/tmp}/check-glibc.$$"
done
[ "$rc" -eq 0 ] && echo "check-glibc: every file within glibc $MAX_GLIBC / GLIBCXX_$MAX_GLIBCXX"
exit "$rc"
