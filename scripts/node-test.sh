#!/usr/bin/env bash
# The one way the suite runs (npm test, scripts/test-arm64.sh): node --test with
#  - a time limit per test file (AIO_TEST_FILE_TIMEOUT seconds, default 600): a file that
#    hangs is killed and failed, and the summary names the test it was in (progress.js);
#  - the spec reporter, plus the summary reporter (reporter.js): pass / fail / skip counts
#    for this architecture and every skip with its reason (the lines .ci/run reads).
#
#   bash scripts/node-test.sh [NODE] [FILE...]    (default: node, the whole suite)
# Run from the package directory (the one holding dist/).
set -euo pipefail
NODE=${1:-node}
shift || true
[ $# -gt 0 ] || set -- dist/test/*.test.js dist/test/native/*.test.js
exec "$NODE" --require ./dist/test/helpers/progress.js --test \
  --test-timeout=$(( ${AIO_TEST_FILE_TIMEOUT:-600} * 1000 )) \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./dist/test/helpers/reporter.js --test-reporter-destination=stdout \
  "$@"
