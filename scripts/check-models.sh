#!/usr/bin/env bash
# Model-check the Promela models in docs/models/ with Spin (issue 5, "Model checking").
#
#   bash scripts/check-models.sh                 every check, a table, exit 1 if any expectation fails
#   bash scripts/check-models.sh --list          the checks, without running them
#   bash scripts/check-models.sh --only a,b      only the checks with these ids
#   bash scripts/check-models.sh --trail ID      run check ID and print its counterexample, step by step
#   bash scripts/check-models.sh --keep DIR      keep the generated verifiers, logs and trails in DIR
#
# Each check compiles one model with one set of -D options into two verifiers:
#   safety    spin -DNO_LTL, pan -DSAFETY: assertions (the lost_wakeup end-state monitor, the
#             kick bound) and invalid end states, exhaustive; a search cut short by the depth
#             bound is a failure, not a proof;
#   liveness  pan -a -f -A: the model's `ltl served` ([] (PENDING -> <> !PENDING)) under weak
#             fairness, assertions ignored, so the claim must find a lost wake-up by itself.
# Correct models must pass both, and every WITNESS(n) of the model that the configuration
# compiles must be reached (so a correct model cannot pass by never sleeping, never kicking...).
# Bug variants must produce the expected counterexample in each run.
#
# Needs Spin and gcc: Debian's `spin` is installed with apt-get when missing (as root, or via
# sudo -n); gcc comes with the build tools node-gyp needs. Runs in a few seconds.
# Environment: MODELS_DEPTH (search depth bound, default 100000), MODELS_JOBS (parallel checks,
# default: the number of CPUs).
set -euo pipefail

TAG=check-models
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODELS=$ROOT/docs/models
DEPTH=${MODELS_DEPTH:-100000}

# id | model | -D options (space separated, without -D) | expected safety | expected liveness | what
#   safety:   ok | lost (lost_wakeup assertion) | bound (kick bound assertion)
#   liveness: ok | cycle (acceptance cycle of `ltl served`)
CHECKS=(
  "coalesced-3x1|aio_poll.pml|NOTIFIERS=3|ok|ok|the protocol as implemented: coalesced kick, 3 notifiers x 1 BH"
  "coalesced-2x2|aio_poll.pml|NOTIFIERS=2 ROUNDS=2|ok|ok|the same, 2 notifiers x 2 BHs"
  "plain-kick|aio_poll.pml|PLAIN_KICK NO_KICK_BOUND NOTIFIERS=3|ok|ok|DESIGN.md's uncoalesced notify: no lost wake-up"
  "plain-kick-bound|aio_poll.pml|PLAIN_KICK NOTIFIERS=3|bound|ok|uncoalesced notify breaks the one-write-per-poll bound"
  "sigio|aio_poll.pml|SIGIO_KICK|ok|ok|eventfd kick + kill(SIGIO) -> relay -> pipe"
  "sigio-only|aio_poll.pml|SIGIO_KICK SUPPRESS_EVENTFD|ok|ok|eventfd write suppressed: the SIGIO path alone wakes"
  "no-kick|aio_poll.pml|SUPPRESS_EVENTFD|lost|cycle|eventfd write suppressed, no SIGIO: the properties see it"
  "stop-flag|aio_poll.pml|STOP_FLAG NOTIFIERS=1|ok|ok|a bare stop flag + notify() is safe with the sticky notified"
  "bug2-test-then-set|aio_poll.pml|BUG_TEST_THEN_SET|lost|cycle|coalescing by load, store notified after the check (QEMU BUG2)"
  "accept-before-sleep|aio_poll.pml|BUG_ACCEPT_EARLY|lost|cycle|coalesced kick, notified cleared before the sleep"
  "qemu-order|aio_poll.pml|READ_AFTER_BHS|ok|ok|the eventfd read after the BH round (QEMU's order): also correct"
  "foreign-poll-bhs|aio_poll.pml|FOREIGN_POLL|ok|ok|poll(false) on another thread cannot lose a BH (read before round)"
  "foreign-poll-qemu-order|aio_poll.pml|FOREIGN_POLL READ_AFTER_BHS|lost|cycle|... but can in QEMU's order: it eats the kick"
  "attach|aio_poll.pml|ATTACH NOTIFIERS=3|ok|ok|the context attached to a Node event loop (prepare/check)"
  "attach-no-check-plain|aio_poll.pml|ATTACH BUG_ATTACH_NO_NOTIFIED_CHECK PLAIN_KICK NO_KICK_BOUND|ok|ok|attachPrepare without its NOTIFIED check: fine with plain notify"
  "attach-no-check|aio_poll.pml|ATTACH BUG_ATTACH_NO_NOTIFIED_CHECK|lost|cycle|... lost with the coalesced kick: the check is required"
  "external|external.pml||ok|ok|disable/enable, kick on the last enable, device fd ready while disabled"
  "external-fdset-early|external.pml|FDSET_EARLY|ok|ok|the same with the fd set built before notify_me += 2"
  "enable-no-kick|external.pml|BUG_ENABLE_NO_KICK|lost|cycle|321d1dba8b: enable_external without aio_notify"
  "nonblocking-steal|external.pml|BUG_NONBLOCKING_STEAL|lost|cycle|b37548fcd1: aio_poll(ctx,false) accepts the IOThread's kick"
  "nonblocking-steal-fixed|external.pml|STEAL_FIXED|ok|ok|b37548fcd1 applied: accept only in a blocking aio_poll"
  "foreign-poll-fdset|external.pml|BUG_FOREIGN_POLL|lost|cycle|our protocol, poll(false) on another thread: stale fd set"
  "dispatching|legacy.pml|ERA_A|lost|cycle|eabc977973: the ctx->dispatching optimization"
  "clear-in-dispatch|legacy.pml|ERA_B0|lost|cycle|21a03d17f2: the eventfd cleared by its handler during dispatch"
  "qemu-2.4|legacy.pml|ERA_B1|ok|ok|QEMU 2.4: notify_me + notified + accept before dispatch"
  "stop-flag-no-bh|legacy.pml|ERA_B1 STOP_BARE|lost|cycle|2362a28ea1: stopping = true; aio_notify() in QEMU 2.11"
  "stop-via-bh|legacy.pml|ERA_B1 STOP_BH|ok|ok|2362a28ea1 applied: the stop flag set from a bottom half"
)

ONLY=""
TRAIL=""
KEEP=""
LIST=0
while [ $# -gt 0 ]; do
  case $1 in
    --only) ONLY=$2; shift 2 ;;
    --trail) TRAIL=$2; ONLY=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-models: unknown argument: $1" >&2; exit 2 ;;
  esac
done

ensure_tools() {
  if ! command -v spin >/dev/null; then
    log "installing Debian's spin (apt-get)"
    apt_install spin >/dev/null
    command -v spin >/dev/null || die "spin still missing after apt-get install spin"
  fi
  command -v gcc >/dev/null || die "gcc is missing (install build-essential)"
}

if [ "$LIST" = 1 ]; then
  printf '%-24s %-13s %-38s %-7s %-8s %s\n' ID MODEL "-D" SAFETY LIVENESS WHAT
  for row in "${CHECKS[@]}"; do
    IFS='|' read -r id model defs es el what <<<"$row"
    printf '%-24s %-13s %-38s %-7s %-8s %s\n' "$id" "$model" "${defs:--}" "$es" "$el" "$what"
  done
  exit 0
fi

ensure_tools
if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; WORK=$(cd "$KEEP" && pwd); else WORK=$(mktemp -d /tmp/check-models.XXXXXX); fi
cleanup() { [ -n "$KEEP" ] || rm -rf "$WORK"; }
trap cleanup EXIT


# Outcome of a pan run from its output: ok | lost | bound | cycle | endstate | assert:<expr> |
# incomplete (depth bound hit without an error) | pan-error.
outcome() {
  local out=$1 errors
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | tail -n1)
  if grep -q '^pan: error\|^pan:.*out of memory\|too many processes' "$out" || [ -z "$errors" ]; then
    echo pan-error
  elif [ "$errors" = 0 ]; then
    if grep -q 'max search depth too small' "$out"; then echo incomplete; else echo ok; fi
  elif grep -q 'assertion violated  !(lost_wakeup)' "$out"; then echo lost
  elif grep -q 'assertion violated (kicks<=(accepts+1))' "$out"; then echo bound
  elif grep -q 'acceptance cycle' "$out"; then echo cycle
  elif grep -q 'invalid end state' "$out"; then echo endstate
  elif grep -q 'assertion violated' "$out"; then echo "assert:$(sed -n 's/.*assertion violated *\(.*\) (at depth.*/\1/p' "$out" | head -n1 | tr -d ' ')"
  else echo "error?"
  fi
}

# Every WITNESS(n) the configuration compiles must be reached, in at least one proctype that
# contains it. Prints what is wrong; empty output means the check passed.
#   $1 model  $2 the model preprocessed with this configuration's -D options
#   $3 `pan -d` state tables  $4 the safety run's output (its "unreached in ..." listing)
reach_check() {
  local model=$1 pre=$2 tables=$3 out=$4 n want compiled unreached what
  want=$(grep -o 'witness = [0-9][0-9]*' "$pre" | awk '{ print $3 }' | sort -un)
  [ -n "$want" ] || { echo "no WITNESS compiled: the model lost its witnesses"; return; }
  for n in $want; do
    compiled=$(grep -c "=> witness = $n\$" "$tables" || true)
    unreached=$(grep -c "\"witness = $n\"" "$out" || true)
    what=$(grep -m1 "WITNESS($n)" "$model" | sed -n 's|.*/\* *\(.*\) \*/.*|\1|p')
    if [ "$compiled" -eq 0 ]; then
      echo "WITNESS($n) (${what:-?}) is not in the verifier's state tables"
    elif [ "$unreached" -ge "$compiled" ]; then
      echo "WITNESS($n) never reached: ${what:-?}"
    fi
  done
}

# Prints the counterexample of the last run in $dir, without the bookkeeping steps.
show_trail() {
  local dir=$1 model=$2 defs=$3
  (cd "$dir" && spin $defs -t -p -g "$model" 2>&1) \
    | grep -Ev '^\s*$|^Starting |\[witness = |\[\(1\)\]|\[goto |\[IF\]|\[\.\(goto\)\]|\[break\]|^\s+[0-9]+:\s+proc\s+-\s+\(|Never claim moves' \
    | sed "s/$model:[0-9]* (state [0-9]*)//; s/ <valid end state>//"
}

# Runs one check in $WORK/<id>/ and leaves there: row (its table line and notes) and verdict
# (PASS-proof, PASS-cex or FAIL).
run_check() {
  local id=$1 model=$2 defs=$3 es=$4 el=$5
  local dir=$WORK/$id dflags="" d t0 verdict=PASS gs gl states vac l n
  local notes=()
  rm -rf "$dir"
  mkdir -p "$dir/safety" "$dir/liveness"
  cp "$MODELS/$model" "$dir/safety/"
  cp "$MODELS/$model" "$dir/liveness/"
  for d in $defs; do dflags="$dflags -D$d"; done
  t0=$(now)
  # Safety: -o3 (no statement merging), so the unreached listing names every unreached WITNESS.
  # -O0: the verifiers run for well under a second; compiling pan.c is what takes time.
  if ! (cd "$dir/safety" && spin -o3 $dflags -DNO_LTL -a "$model" >spin.log 2>&1 \
        && gcc -O0 -w -DSAFETY -o pan pan.c >gcc.log 2>&1) \
     || ! (cd "$dir/liveness" && spin $dflags -a "$model" >spin.log 2>&1 \
        && gcc -O0 -w -DNFAIR=8 -o pan pan.c >gcc.log 2>&1); then
    { printf '%-24s %-13s %-38s %-12s %s\n' "$id" "$model" "${defs:--}" "$es/$el" "BUILD FAILED"
      cat "$dir"/*/spin.log "$dir"/*/gcc.log 2>/dev/null | head -n 20 | sed 's/^/    ! /'
    } >"$dir/row"
    echo FAIL >"$dir/verdict"
    return
  fi
  (cd "$dir/safety" && ./pan -m"$DEPTH" -w22 >pan.out 2>&1) || true
  (cd "$dir/liveness" && ./pan -a -f -A -m"$DEPTH" -w22 >pan.out 2>&1) || true
  gs=$(outcome "$dir/safety/pan.out")
  gl=$(outcome "$dir/liveness/pan.out")
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$dir/safety/pan.out" | head -n1)
  [ "$gs" = "$es" ] || { verdict=FAIL; notes+=("safety: expected $es, got $gs"); }
  [ "$gl" = "$el" ] || { verdict=FAIL; notes+=("liveness: expected $el, got $gl"); }
  if [ "$es" = ok ]; then
    (cd "$dir/safety" && ./pan -d >tables.out 2>&1) || true
    gcc -E -P -x c $dflags -DNO_LTL "$dir/safety/$model" >"$dir/safety/pre.pml" 2>/dev/null || true
    vac=$(reach_check "$dir/safety/$model" "$dir/safety/pre.pml" "$dir/safety/tables.out" \
                      "$dir/safety/pan.out")
    if [ -n "$vac" ]; then
      verdict=FAIL
      while IFS= read -r l; do notes+=("vacuous: $l"); done <<<"$vac"
    fi
  fi
  {
    printf '%-24s %-13s %-38s %-12s %-9s %-9s %9s %6s  %s\n' \
      "$id" "$model" "${defs:--}" "$es/$el" "$gs" "$gl" "${states:-?}" "$(since "$t0")" "$verdict"
    for n in "${notes[@]}"; do printf '    ! %s\n' "$n"; done
  } >"$dir/row"
  if [ "$verdict" = FAIL ]; then echo FAIL
  elif [ "$es" = ok ] && [ "$el" = ok ]; then echo PASS-proof
  else echo PASS-cex
  fi >"$dir/verdict"
}

JOBS=${MODELS_JOBS:-$(nproc 2>/dev/null || echo 2)}
T_ALL=$(now)
IDS=()
for row in "${CHECKS[@]}"; do
  IFS='|' read -r id model defs es el what <<<"$row"
  if [ -n "$ONLY" ] && ! [[ ",$ONLY," == *",$id,"* ]]; then continue; fi
  IDS+=("$id")
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  run_check "$id" "$model" "$defs" "$es" "$el" &
done
wait
[ ${#IDS[@]} -gt 0 ] || die "no check matched --only '$ONLY'"

PASSED=0
FAILED=0
NPROOF=0
NCEX=0
printf '%-24s %-13s %-38s %-12s %-9s %-9s %9s %6s  %s\n' \
  CHECK MODEL "-D" EXPECT SAFETY LIVENESS STATES SECS VERDICT
for id in "${IDS[@]}"; do
  cat "$WORK/$id/row" 2>/dev/null || printf '%-24s (no result)\n' "$id"
  case $(cat "$WORK/$id/verdict" 2>/dev/null) in
    PASS-proof) PASSED=$((PASSED + 1)); NPROOF=$((NPROOF + 1)) ;;
    PASS-cex) PASSED=$((PASSED + 1)); NCEX=$((NCEX + 1)) ;;
    *) FAILED=$((FAILED + 1)) ;;
  esac
done

if [ -n "$TRAIL" ]; then
  row=$(printf '%s\n' "${CHECKS[@]}" | grep "^$TRAIL|")
  IFS='|' read -r id model defs es el what <<<"$row"
  dir=$WORK/$id
  dflags=""
  for d in $defs; do dflags="$dflags -D$d"; done
  echo
  if [ -f "$dir/safety/$model.trail" ]; then
    log "counterexample of $id ($what), safety run, shortest (pan -i):"
    (cd "$dir/safety" && gcc -O0 -w -DSAFETY -DREACH -o pan_short pan.c \
       && ./pan_short -i -m"$DEPTH" -w22 >short.out 2>&1) || true
    show_trail "$dir/safety" "$model" "$dflags -DNO_LTL"
  elif [ -f "$dir/liveness/$model.trail" ]; then
    log "counterexample of $id ($what), liveness run:"
    show_trail "$dir/liveness" "$model" "$dflags"
  else
    log "$id has no counterexample"
  fi
fi

echo
times >"$WORK/times"   # the builtin, in this shell: the second line is every finished child's CPU
CPU=$(tail -n1 "$WORK/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.0f", t }')
log "${#IDS[@]} checks: $PASSED as expected ($NPROOF proofs, $NCEX counterexamples found), $FAILED failed, in $(since "$T_ALL")s, ${CPU}s CPU (spin $(spin -V | awk '{ print $3 }'), $JOBS jobs)"
[ -z "$KEEP" ] || log "verifiers, logs and trails kept in $WORK"
[ "$FAILED" -eq 0 ]
