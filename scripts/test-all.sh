#!/usr/bin/env bash
# Every test: the Swift suites, schemathesis against the served API, the dashboard in a browser, the
# checks of the Railway deployment files and the short reliability suites.
# Run through scripts/with-test-postgres.sh (make test does).
set -uo pipefail
cd "$(dirname "$0")/.."
swift test --skip-build --skip TimingSensitive
swift_status=$?
# Time bounds, measured with nothing else running.
swift test --skip-build --filter TimingSensitive --no-parallel || swift_status=1
scripts/schemathesis.sh
schemathesis_status=$?
.venv/bin/python Tests/deployment/check_deployment.py .venv/bin/actionlint .venv/bin/hadolint
deployment_status=$?
# The image's default command and the app's pre-deploy gate, run for real.
.venv/bin/python Tests/deployment/check_runtime.py || deployment_status=1
# The dashboard in a real headless browser.
.venv/bin/python Tests/dashboard/check_dashboard.py
dashboard_status=$?
# Last: these stop and restart the test PostgreSQL.
.venv/bin/python Tests/reliability/run.py
reliability_status=$?
echo "swift test exit $swift_status, schemathesis exit $schemathesis_status, deployment checks exit $deployment_status, dashboard exit $dashboard_status, reliability exit $reliability_status"
(( swift_status == 0 && schemathesis_status == 0 && deployment_status == 0 && dashboard_status == 0 && reliability_status == 0 ))
