#!/usr/bin/env bash
# Prints what `railyard health` costs next to `curl` for the same URL.
# A measurement, not a test. Usage: scripts/bench-cli-health.sh [N]
# (the server is started on the embedded database unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
state=$(mktemp -d /tmp/railyard-bench-XXXXXX)
PORT=0 HOST=127.0.0.1 RAILYARD_STATE_DIR="$state" RAILYARD_ADMIN_TOKEN=bench \
  .build/debug/railyard-server serve --state-dir "$state" >"$state/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 1 300); do
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$state/server.log" | head -n1 | sed 's/.*://') || true
  [[ -n ${port:-} ]] && break; sleep 0.1
done
url="http://127.0.0.1:$port"
time_loop() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq 1 "$n"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  echo $(( (end - start) / n / 1000 ))
}
railyard_us=$(time_loop .build/debug/railyard health --server "$url")
curl_us=$(time_loop curl -sf "$url/api/health")
printf '%-22s %10s\n' "command" "µs/call"
printf '%-22s %10d\n' "railyard health" "$railyard_us" "curl $url/api/health" "$curl_us"
awk -v a="$railyard_us" -v b="$curl_us" 'BEGIN { printf "ratio railyard/curl: %.2f (target <= 1.5, release build recommended)\n", a / b }'
