#!/usr/bin/env bash
# Runs a command with a private, throw-away PostgreSQL cluster: created in a
# fresh directory under /tmp, listening only on a Unix socket there, started
# as the `postgres` user when run as root, stopped and removed afterwards.
# The command sees its libpq conninfo in RAILYARD_TEST_DATABASE_URL.
set -euo pipefail

pg_bin=$(command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")" || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x "$pg_bin/initdb" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }

dir=$(mktemp -d /tmp/railyard-test-XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
chmod 700 "$dir"

cleanup() {
  (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
  rm -rf "$dir"
}
trap cleanup EXIT

(cd / && "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1) \
  || { cat "$dir/initdb.log" >&2; exit 2; }
# RAILYARD_TEST_PG_TCP=1: also listen on 127.0.0.1 (a free port), and hand out that address.
listen="''" port=5432 host=$dir
if [[ ${RAILYARD_TEST_PG_TCP:-} == 1 ]]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  listen=127.0.0.1 host=127.0.0.1
fi
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/postgres.log" \
  -o "-c listen_addresses=$listen -p $port -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=on" start >/dev/null) \
  || { cat "$dir/postgres.log" >&2; exit 2; }

export RAILYARD_TEST_DATABASE_URL="host=$host port=$port user=postgres dbname=postgres"
export RAILYARD_TEST_PG_BIN="$pg_bin"
export RAILYARD_TEST_PG_DATA="$dir/data"
echo "Test PostgreSQL running in $dir"
"$@"
