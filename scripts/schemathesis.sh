#!/usr/bin/env bash
# Fuzzes the served API against openapi.yaml with schemathesis: no server
# errors, every response conforming to the contract. Needs the test
# PostgreSQL (RAILYARD_TEST_DATABASE_URL) and .venv with schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${RAILYARD_TEST_DATABASE_URL:?run through scripts/with-test-postgres.sh}"
examples=${SCHEMATHESIS_EXAMPLES:-50}
work=$(mktemp -d /tmp/railyard-schemathesis-XXXXXX)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

database="ry_schemathesis_$$"
psql "$RAILYARD_TEST_DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
cp -r migrations "$work/migrations"
admin="schemathesis-admin-token"
DATABASE_URL="$RAILYARD_TEST_DATABASE_URL dbname=$database" MIGRATIONS_DIR="$work/migrations" \
  PORT=0 HOST=127.0.0.1 RAILYARD_ADMIN_TOKEN=$admin RAILYARD_READ_TOKEN=schemathesis-read-token \
  RAILYARD_STATE_DIR="$work/state" \
  .build/debug/railyard-server serve --migrate-on-start >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | head -n1 | sed 's/.*://') || true
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

run() {
  # GET /api/events never ends (it is a live stream), which a fuzzer cannot wait for;
  # EventStreamTests read it. A run's own stream ends, and is fuzzed.
  "${SCHEMATHESIS_BIN:-.venv/bin/schemathesis}" run openapi.yaml --url "http://127.0.0.1:$port" --exclude-path /api/events \
    -H "Authorization: Bearer $admin" --checks all --max-examples "$examples" --workers 2 --no-color --seed 1 "$@"
}
status=0
# The coverage phase is left out: on this Python (3.11.7) it crashes inside
# hypothesis ("AST constructor recursion depth mismatch") before sending a
# request. Examples, fuzzing and stateful runs cover every operation.
run --phases examples,fuzzing,stateful "$@" || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server died during schemathesis" >&2; cat "$work/server.log" >&2; exit 1
fi
if grep -q '"status":5\|internal' "$work/server.log"; then
  echo "server log mentions internal errors:" >&2; grep -n 'internal' "$work/server.log" >&2 || true
fi
exit $status
