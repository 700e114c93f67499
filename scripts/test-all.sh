#!/usr/bin/env bash
# Every test: the Swift suites, then schemathesis against the served API.
# Run through scripts/with-test-postgres.sh (make test does).
set -uo pipefail
cd "$(dirname "$0")/.."
swift test --skip-build
swift_status=$?
scripts/schemathesis.sh
schemathesis_status=$?
echo "swift test exit $swift_status, schemathesis exit $schemathesis_status"
(( swift_status == 0 && schemathesis_status == 0 ))
