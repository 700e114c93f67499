#!/usr/bin/env python3
"""`make bench`: Railyard against PostgreSQL's own floors and its peers.

Runs inside scripts/with-test-postgres.sh (its own PostgreSQL, fsync and
synchronous_commit on). Every tool applies the same generated migrations to a
fresh database; rounds are interleaved and ratios are paired per round, then
the median is reported. Prints one table and writes BENCHMARKS.md.
A benchmark, not a test: it asserts nothing.
"""
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Both executables as the Docker image ships them (release, static Swift
# runtime: they start faster), built by make bench.
RELEASE = ROOT / ".build-static" / "release"
if not (RELEASE / "railyard-server").exists():
    RELEASE = ROOT / ".build" / "release"
CLI = RELEASE / "railyard"
VENV = ROOT / ".venv" / "bin"
# make bench's PostgreSQL listens on TCP loopback, as clients on Railway reach theirs.
CONNINFO = os.environ["RAILYARD_TEST_DATABASE_URL"]
HOST = re.search(r"host=(\S+)", CONNINFO).group(1)
PORT = re.search(r"port=(\d+)", CONNINFO).group(1)
# The server's own psql, not Debian's wrapper script in /usr/bin (a Perl start-up on every call).
PSQL = str(pathlib.Path(os.environ.get("RAILYARD_TEST_PG_BIN", "/usr/lib/postgresql/15/bin")) / "psql")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WORK = pathlib.Path(tempfile.mkdtemp(prefix="railyard-bench-"))
ENV = dict(os.environ, PGHOST=HOST, PGPORT=PORT, PGUSER="postgres", PGDATABASE="postgres")


def url(database, scheme="postgres"):
    """A URL for the tools that take one (dbmate, yoyo)."""
    if HOST.startswith("/"):
        return f"{scheme}://postgres@/{database}?host={HOST}"
    return f"{scheme}://postgres@{HOST}:{PORT}/{database}"


def run(command, env=None, check=True, **kwargs):
    return subprocess.run(command, env=env or ENV, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def timed(command, env=None):
    start = time.perf_counter()
    result = run(command, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}{result.stdout[-1000:]}")
    return elapsed


def psql(sql, database="postgres"):
    return run([PSQL, "-qAt", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]).stdout.strip()


counter = [0]


def fresh_database():
    counter[0] += 1
    name = f"bench_{counter[0]}"
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    return name


# MARK: migration sets

def statement_set(i):
    parent = f",\n    parent_id bigint REFERENCES t{i - 1} (id)" if i > 1 else ""
    return (f"CREATE TABLE t{i} (\n    id bigint PRIMARY KEY,\n    name text NOT NULL{parent}\n);\n"
            f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n"
            f"ALTER TABLE t{i} ADD COLUMN note text;\n"
            f"INSERT INTO t{i} (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');\n")


def generate(n):
    base = WORK / f"set{n}"
    if base.exists():
        return base
    (base / "migrations").mkdir(parents=True)
    (base / "yoyo").mkdir(parents=True)
    (base / "sqitch" / "deploy").mkdir(parents=True)
    (base / "sqitch" / "revert").mkdir(parents=True)
    floor, single = [], ["CREATE TABLE track (version text PRIMARY KEY, applied_at timestamptz DEFAULT now());"]
    floor.append(single[0])
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for i in range(1, n + 1):
        version = 20250101000000 + i
        body = statement_set(i)
        (base / "migrations" / f"{version}_step_{i}.sql").write_text(f"-- migrate:up\n{body}\n-- migrate:down\nDROP TABLE t{i};\n")
        # yoyo runs a whole .sql file, so its copy has no down section.
        (base / "yoyo" / f"{version}_step_{i}.sql").write_text(body)
        floor.append(f"BEGIN;\n{body}INSERT INTO track (version) VALUES ('{version}');\nCOMMIT;")
        single.append(f"{body}INSERT INTO track (version) VALUES ('{version}');")
        (base / "sqitch" / "deploy" / f"step_{i}.sql").write_text(f"BEGIN;\n{body}COMMIT;\n")
        (base / "sqitch" / "revert" / f"step_{i}.sql").write_text(f"DROP TABLE t{i};\n")
        plan.append(f"step_{i} 2025-01-01T00:00:00Z Bench <bench@example.com> # step {i}")
    (base / "floor.sql").write_text("\n".join(floor) + "\n")
    (base / "single.sql").write_text("\n".join(single) + "\n")
    (base / "sqitch" / "sqitch.plan").write_text("\n".join(plan) + "\n")
    (base / "sqitch" / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    return base


# MARK: tools

def railyard_env(database):
    return dict(ENV, DATABASE_URL=f"{CONNINFO} dbname={database}")


def apply_with(tool, base, database):
    migrations = str(base / "migrations")
    if tool == "psql per-file floor":
        return timed([PSQL, "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", str(base / "floor.sql")])
    if tool == "one-message floor":
        return one_message_floor(base, database)
    if tool == "psql, one transaction":
        return timed([PSQL, "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", str(base / "single.sql")])
    if tool == "railyard":
        return timed([str(RELEASE / "railyard-server"), "migrate", "--dir", migrations], env=railyard_env(database))
    if tool == "dbmate":
        return timed([str(VENV / "dbmate"), "--url", dbmate_url(database), "--migrations-dir", migrations, "--no-dump-schema", "up"])
    if tool == "yoyo":
        return timed([str(VENV / "yoyo"), "apply", "--batch", "--no-config-file", "--database", url(database, "postgresql"), str(base / "yoyo")])
    if tool == "sqitch":
        return timed(["sqitch", "--chdir", str(base / "sqitch"), "deploy", f"db:pg:{database}"])
    raise ValueError(tool)


def one_message_floor(base, database):
    """Every file in its own BEGIN … COMMIT with its tracking insert, all sent as one simple-query message."""
    import psycopg2
    script = (base / "floor.sql").read_text()
    connection = psycopg2.connect(f"{CONNINFO} dbname={database}")
    connection.autocommit = True
    try:
        start = time.perf_counter()
        connection.cursor().execute(script)
        return time.perf_counter() - start
    finally:
        connection.close()


def dbmate_url(database):
    if HOST.startswith("/"):
        return f"postgres://postgres@/{database}?socket={HOST}&sslmode=disable"
    return url(database) + "?sslmode=disable"


def available(tool):
    return {
        "dbmate": (VENV / "dbmate").exists(),
        "yoyo": (VENV / "yoyo").exists(),
        "sqitch": shutil.which("sqitch") is not None,
    }.get(tool, True)


APPLY_TOOLS = ["psql per-file floor", "one-message floor", "psql, one transaction", "railyard", "dbmate", "yoyo", "sqitch"]


def spread(values):
    """min / median / max of a figure's rounds."""
    return min(values), statistics.median(values), max(values)


def paired(times, tool, reference):
    return [t / f for t, f in zip(times[tool], times[reference])]


def bench_apply(n):
    base = generate(n)
    tools = [tool for tool in APPLY_TOOLS if available(tool)]
    times = {tool: [] for tool in tools}
    for _ in range(ROUNDS):
        for tool in tools:
            times[tool].append(apply_with(tool, base, fresh_database()))
    return times


def bench_noop(base):
    """No-op re-run and status with everything applied, against psql reading the tracking table and dbmate."""
    database = fresh_database()
    apply_with("railyard", base, database)
    env = railyard_env(database)
    dbmate_db = fresh_database()
    apply_with("dbmate", base, dbmate_db) if available("dbmate") else None
    rows = {"psql reading the tracking table": [], "railyard migrate (no-op)": [], "railyard status": [], "dbmate up (no-op)": [],
            "dbmate status": [], "railyard status, schema.sql beside: drift counted": [],
            "railyard status, schema.sql beside: drift count reused": []}
    dbmate = dbmate_url(dbmate_db)
    # The same folder with a schema.sql beside it (dbmate's layout): status also counts drift.
    with_schema = WORK / "with-schema"
    if not with_schema.exists():
        shutil.copytree(base / "migrations", with_schema / "migrations")
        run([str(RELEASE / "railyard-server"), "dump", "--dir", str(with_schema / "migrations")], env=env)
    cache = WORK / "cache"
    schema_env = dict(env, XDG_CACHE_HOME=str(cache))
    schema_status = [str(RELEASE / "railyard-server"), "status", "--dir", str(with_schema / "migrations")]
    for _ in range(max(ROUNDS, 5)):
        rows["psql reading the tracking table"].append(timed([PSQL, "-qAt", "-d", database, "-c", "SELECT version, checksum FROM railyard_migrations"]))
        rows["railyard migrate (no-op)"].append(timed([str(RELEASE / "railyard-server"), "migrate", "--dir", str(base / "migrations")], env=env))
        rows["railyard status"].append(timed([str(RELEASE / "railyard-server"), "status", "--dir", str(base / "migrations")], env=env))
        shutil.rmtree(cache, ignore_errors=True)
        rows["railyard status, schema.sql beside: drift counted"].append(timed(schema_status, env=schema_env))
        rows["railyard status, schema.sql beside: drift count reused"].append(timed(schema_status, env=schema_env))
        if available("dbmate"):
            rows["dbmate up (no-op)"].append(timed([str(VENV / "dbmate"), "--url", dbmate, "--migrations-dir", str(base / "migrations"), "--no-dump-schema", "up"]))
            rows["dbmate status"].append(timed([str(VENV / "dbmate"), "--url", dbmate, "--migrations-dir", str(base / "migrations"), "status"]))
    return {name: values for name, values in rows.items() if values}, database


def instructions(command, env=None):
    """Instructions the client executes (valgrind's callgrind): a figure that does not move with the machine's load."""
    if shutil.which("valgrind") is None:
        return None
    out = WORK / "callgrind.out"
    # valgrind cannot read the static release binaries' debug information: it measures a copy without it.
    stripped = WORK / (pathlib.Path(command[0]).name + "-nodebug")
    if not stripped.exists():
        run(["objcopy", "--strip-debug", command[0], str(stripped)])
    result = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(stripped), *command[1:]],
                            env=env or ENV, capture_output=True, text=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    return int(match.group(1)) if match else None


# MARK: the API

def start_server(database, migrations=None):
    state = WORK / "server-state"
    env = dict(railyard_env(database), PORT="0", HOST="127.0.0.1", RAILYARD_ADMIN_TOKEN="bench", RAILYARD_READ_TOKEN="bench-read",
               RAILYARD_STATE_DIR=str(state), MIGRATIONS_DIR=str(migrations or generate(1000) / "migrations"), LOG_LEVEL="info")
    log = open(WORK / "server.log", "w")
    process = subprocess.Popen([str(RELEASE / "railyard-server"), "serve"], env=env, stdout=log, stderr=log)
    for _ in range(300):
        text = (WORK / "server.log").read_text()
        match = re.search(r"listening on [0-9.]+:(\d+)", text)
        if match:
            return process, int(match.group(1))
        time.sleep(0.1)
    raise RuntimeError("server did not start: " + (WORK / "server.log").read_text())


def rss_mib(pid, field="VmRSS"):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url, connections, seconds=5, latency=False):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", "Authorization: Bearer bench", url]
    if latency:
        command.insert(1, "--latency")
    output = run(command).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = None
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if match:
        value, unit = float(match.group(1)), match.group(2)
        p99 = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, p99, int(errors.group(1)) if errors else 0


def pgbench_select1(connections, seconds=5):
    script = WORK / "select1.sql"
    script.write_text("SELECT 1;\n")
    output = run(["pgbench", "-n", "-c", str(connections), "-j", "2", "-T", str(seconds), "-f", str(script), "postgres"]).stdout
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


def per_call(command, n):
    start = time.perf_counter()
    for _ in range(n):
        run(command, check=False)
    return (time.perf_counter() - start) / n


def bench_api(database):
    if shutil.which("wrk") is None:
        return {}
    process, port = start_server(database)
    base = f"http://127.0.0.1:{port}"
    try:
        time.sleep(1)
        idle = rss_mib(process.pid)
        health_rate, _, health_errors = wrk(base + "/api/health", 32)
        select1 = pgbench_select1(32)
        _, p99, list_errors = wrk(base + "/api/migrations", 8, latency=True)
        loaded = rss_mib(process.pid, "VmHWM")
        cli = per_call([str(CLI), "health", "--server", base], 100)
        curl = per_call(["curl", "-sf", base + "/api/health"], 100)
        return {"health_rate": health_rate, "select1": select1, "p99": p99, "idle": idle, "loaded": loaded,
                "cli": cli, "curl": curl, "errors": health_errors + list_errors}
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_events(subscribers=200, n=100):
    """A run of n migrations followed by `subscribers` clients of GET /api/events at once."""
    database = fresh_database()
    process, port = start_server(database, generate(n) / "migrations")
    try:
        time.sleep(1)
        output = run([sys.executable, str(ROOT / "scripts" / "sse-subscribers.py"), str(port), "bench-read", "bench",
                      str(process.pid), str(subscribers)]).stdout
        return json.loads(output)
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_lint(base):
    railyard = statistics.median(timed([str(CLI), "lint", "--dir", str(base / "migrations")]) for _ in range(3))
    squawk = VENV / "squawk"
    if not squawk.exists():
        return railyard, None
    files = sorted(str(path) for path in (base / "migrations").glob("*.sql"))

    def squawk_time():
        start = time.perf_counter()
        subprocess.run([str(squawk), *files], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start
    return railyard, statistics.median(squawk_time() for _ in range(3))


def bench_verify(base, floor_seconds):
    """verify of the whole set: on a scratch database of the bench server (as CI runs it), and on a throwaway cluster."""
    migrations = str(base / "migrations")
    shadow = timed([str(RELEASE / "railyard-server"), "verify", "--dir", migrations, "--shadow-url", CONNINFO])
    throwaway = timed([str(RELEASE / "railyard-server"), "verify", "--dir", migrations])
    return shadow, throwaway, shadow / floor_seconds


# MARK: report

def main():
    rows = []

    def row(name, value, target, met):
        rows.append((name, value, target, "yes" if met else ("n/a" if met is None else "NO")))

    def ranged(values, unit="s", scale=1.0, digits=2):
        low, middle, high = spread([v * scale for v in values])
        return f"{middle:.{digits}f} {unit} ({low:.{digits}f}–{high:.{digits}f})".replace(" ×", "×")

    floor_1000 = None
    for n in (100, 1000):
        times = bench_apply(n)
        for tool in APPLY_TOOLS:
            if tool in times:
                row(f"apply {n}: {tool}", ranged(times[tool]) + f"; {statistics.median(paired(times, tool, 'psql per-file floor')):.2f}× per-file floor", "", None)
        if n == 1000:
            floor_1000 = statistics.median(times["psql per-file floor"])
            per_file = paired(times, "railyard", "psql per-file floor")
            row("apply 1000: railyard / per-file floor", ranged(per_file, "×"), "≤ 0.82×", statistics.median(per_file) <= 0.82)
            one = paired(times, "railyard", "one-message floor")
            row("apply 1000: railyard / one-message floor", ranged(one, "×"), "≤ 1.05×", statistics.median(one) <= 1.05)
            if "dbmate" in times:
                versus = paired(times, "railyard", "dbmate")
                row("apply 1000: railyard / dbmate", ranged(versus, "×"), "≤ 0.80×", statistics.median(versus) <= 0.80)
    noop, applied_db = bench_noop(generate(1000))
    floor = noop["psql reading the tracking table"]
    for name, values in noop.items():
        row(f"1000 applied: {name}", ranged(values, "ms", 1000, 0), "", None)
    for name, peer in (("railyard migrate (no-op)", "dbmate up (no-op)"), ("railyard status", "dbmate status")):
        ratio = [v / f for v, f in zip(noop[name], floor)]
        row(f"1000 applied: {name} / psql reading the table", ranged(ratio, "×"), "≤ 2.0×", statistics.median(ratio) <= 2.0)
        if peer in noop:
            versus = [v / d for v, d in zip(noop[name], noop[peer])]
            row(f"1000 applied: {name} / {peer}", ranged(versus, "×"), "≤ 1.0×", statistics.median(versus) <= 1.0)
    noop_instructions = instructions([str(RELEASE / "railyard-server"), "migrate", "--dir", str(generate(1000) / "migrations")],
                                     env=railyard_env(applied_db))
    if noop_instructions:
        row("client instructions: no-op with 1000 applied (callgrind)", f"{noop_instructions / 1e6:.1f} M", "", None)
    lint_instructions = instructions([str(CLI), "lint", "--dir", str(generate(1000) / "migrations")])
    if lint_instructions:
        row("client instructions: lint 1000 files (callgrind)", f"{lint_instructions / 1e6:.1f} M", "", None)
    api = bench_api(applied_db)
    if api:
        ratio = api["health_rate"] / api["select1"]
        row("GET /api/health, 32 connections", f"{api['health_rate']:.0f} req/s ({ratio:.2f}× pgbench SELECT 1 at {api['select1']:.0f} tps)", "≥ 0.25×", ratio >= 0.25)
        row("GET /api/migrations (1000), 8 connections: p99", f"{api['p99']:.1f} ms", "≤ 25 ms", api["p99"] is not None and api["p99"] <= 25)
        cli_ratio = api["cli"] / api["curl"]
        row("railyard health vs curl", f"{api['cli'] * 1000:.1f} ms vs {api['curl'] * 1000:.1f} ms ({cli_ratio:.2f}×)", "≤ 1.5×", cli_ratio <= 1.5)
        row("server RSS idle", f"{api['idle']:.1f} MiB", "≤ 40 MiB", api["idle"] <= 40)
        row("server RSS peak under load", f"{api['loaded']:.1f} MiB", "≤ 80 MiB", api["loaded"] <= 80)
        row("non-2xx responses under load", str(api["errors"]), "0", api["errors"] == 0)
    events = bench_events()
    every = events["finished"] == events["subscribers"] and events["identical"] and len(events["steps"]) == 200
    row(f"event stream: {events['subscribers']} subscribers during a run of 100", f"{'all' if every else 'NOT all'} got every event "
        f"({events['events'][0]} each) in {events['seconds']:.2f} s", "all", every)
    row("event stream: server RSS peak with 200 subscribers", f"{events['peak_rss_mib']:.1f} MiB", "≤ 80 MiB", events["peak_rss_mib"] <= 80)
    shadow, throwaway, verify_ratio = bench_verify(generate(1000), floor_1000)
    row("verify 1000 (replay, re-run and down checks, 1 run): scratch database on the bench server",
        f"{shadow:.1f} s ({verify_ratio:.1f}× per-file floor)", "", None)
    row("verify 1000: throwaway cluster (fsync off; includes initdb)", f"{throwaway:.1f} s", "", None)
    railyard_lint, squawk_lint = bench_lint(generate(1000))
    if squawk_lint:
        ratio = railyard_lint / squawk_lint
        row("lint 1000 files: railyard vs squawk", f"{railyard_lint * 1000:.0f} ms vs {squawk_lint * 1000:.0f} ms ({ratio:.2f}×)", "≤ 0.5×", ratio <= 0.5)

    widths = [max(len(str(r[i])) for r in rows + [("figure", "measured", "target", "met")]) for i in range(4)]
    lines = ["| " + " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(("figure", "measured", "target", "met"))) + " |",
             "| " + " | ".join("-" * widths[i] for i in range(4)) + " |"]
    lines += ["| " + " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(r)) + " |" for r in rows]
    table = "\n".join(lines)
    print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    postgres = psql("SHOW server_version")
    build = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    (ROOT / "BENCHMARKS.md").write_text(f"""# Benchmarks

Latest `make bench` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): {machine}; PostgreSQL {postgres} with fsync and
synchronous_commit on, reached over {"TCP loopback" if not HOST.startswith("/") else "a Unix socket"}; {ROUNDS} interleaved rounds, every tool on a fresh database each round, ratios paired
per round. Each figure is the median with the (min–max) of its rounds. Railyard is commit {build}, built release
with the static Swift runtime as the image ships it.

{table}

The migration sets: N files, each creating a table with a foreign key to the previous one, an index, an added
column and 3 inserted rows. "psql per-file floor" runs each file in its own transaction with a tracking insert
in one session: the least a correct tool must do. "one-message floor" sends the same transactions as one
simple-query message (one round trip, no client work between files). psql is the server's own binary
(/usr/lib/postgresql/15/bin/psql), not Debian's wrapper script. "schema.sql beside" is status on a copy of
the folder with the schema.sql `railyard-server dump` wrote: it also counts drift, afresh (its memo emptied) or
reused (nothing changed since). Client instructions are counted by valgrind's callgrind. Reproduce with
`make bench` (`BENCH_ROUNDS` sets the rounds; 5 by default).
On a shared 2-core machine the apply ratios move by up to ±0.05 between runs: judge them over 5 rounds or more.
"Quiet" includes the disk: on an ext4 file system without a journal (these machines), creating a file skips
every inode freed in the last minutes (the kernel's `recently_deleted`), so for up to six minutes after many files
are deleted (a test cluster removed) the server's time for the same migrations grows up to 2.5× for every tool,
and ratios to the floors drift towards 1.
""")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
