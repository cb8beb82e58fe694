#!/usr/bin/env bash
# The one way the suite runs (npm test, scripts/test-arm64.sh): node --test with
#  - a time limit per test file (AIO_TEST_FILE_TIMEOUT seconds, default 600): a file that
#    hangs is killed and failed, and the summary names the test it was in (progress.js);
#  - the spec reporter, plus the summary reporter (reporter.js): pass / fail / skip counts
#    for this architecture and every skip with its reason (the lines .ci/run reads).
#
#   bash scripts/node-test.sh [NODE] [FILE...]    (default: node, the whole suite)
# The whole suite: the test files of every folder of dist/test (sys, aio, observability, tools,
# cli, package, support, native) but integration, which needs real programs installed
# (npm run test:integration).
# Run from the package directory (the one holding dist/).
set -euo pipefail
NODE=${1:-node}
shift || true
if [ $# -eq 0 ]; then
  for f in dist/test/*/*.test.js; do [[ $f == dist/test/integration/* ]] || set -- "$@" "$f"; done
fi
exec "$NODE" --require ./dist/test/support/progress.js --test \
  --test-timeout=$(( ${AIO_TEST_FILE_TIMEOUT:-600} * 1000 )) \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./dist/test/support/reporter.js --test-reporter-destination=stdout \
  "$@"
