"""SIGTERM to a migrating process and to a serving process mid-run: it ends
within a bounded time, the migration is all-or-nothing, the lock is free."""

import json
import signal
import time
from pathlib import Path

from harness import SERVER, Process, Server, SuiteFailure, Workdir, check, migrate
from suite_crash import wait_for_run

SLOW = "20250101000100_slow.sql"


def write_folder(folder, sleep_seconds):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "20250101000000_first.sql").write_text("CREATE TABLE first_table (id int);\n")
    (folder / SLOW).write_text(f"CREATE TABLE slow_table (id int);\nSELECT pg_sleep({sleep_seconds});\n")
    (folder / "20250101000200_last.sql").write_text("CREATE TABLE last_table (id int);\n")


def wait_until_sleeping(cluster, database, process_alive, limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cluster.query(database, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()")[0][0]:
            return
        check(process_alive(), "the migrator ended before the slow migration started")
        time.sleep(0.02)
    raise SuiteFailure("the slow migration never started")


def tables(cluster, database):
    return {name for (name,) in cluster.query(database, "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname LIKE '%%_table'")}


def tracked(cluster, database):
    return {v for (v,) in cluster.query(database, "SELECT version FROM railyard_migrations")}


def sigterm_migrate(cluster, work, command="migrate"):
    """SIGTERM to `migrate` (or `setup`, which migrates too) during a migration."""
    folder = work / f"migrations-{command}-{time.monotonic_ns()}"
    write_folder(folder, 60)
    database = cluster.fresh_database("sigterm")
    process = Process([SERVER, command, "--dir", str(folder)], {"DATABASE_URL": cluster.url(database)}, work, command)
    wait_until_sleeping(cluster, database, lambda: process.alive)
    sent = time.monotonic()
    process.signal(signal.SIGTERM)
    code = process.finish(30)
    ended = process.ended - sent
    holders = cluster.migration_lock_holders(database)
    check(code == 128 + signal.SIGTERM, f"{command} exited {code} after SIGTERM, not {128 + signal.SIGTERM}:\n{process.output[-1500:]}")
    check(holders == 0, f"the migration lock is still held after {command} exited")
    check(tables(cluster, database) == {"first_table"}, f"not all-or-nothing: tables {tables(cluster, database)}")
    check(tracked(cluster, database) == {"20250101000000"}, f"tracking after SIGTERM: {tracked(cluster, database)}")
    check("interrupted" in process.output, f"{command} did not say it was interrupted:\n{process.output[-1500:]}")
    # The interrupted migration was not applied, so it may be edited; the re-run finishes.
    (folder / SLOW).write_text("CREATE TABLE slow_table (id int);\n")
    rerun = migrate(cluster, database, folder, work)
    check(rerun.finish() == 0, f"the re-run after SIGTERM failed:\n{rerun.output[-1500:]}")
    check(tables(cluster, database) == {"first_table", "slow_table", "last_table"}, "the re-run did not apply everything")
    cluster.drop_database(database)
    return ended


def postgres_processes_under(path):
    """PIDs of processes whose command line mentions `path`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path) in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def sigterm_migrate_embedded(work):
    """Without DATABASE_URL: the interrupted migrate also stops the private cluster it started."""
    folder = work / "migrations-embedded"
    write_folder(folder, 60)
    state = work / "embedded-state"
    process = Process([SERVER, "migrate", "--dir", str(folder), "--state-dir", str(state)], {}, work, "embedded")
    deadline = time.monotonic() + 120
    while "Completed migration: 20250101000000_first.sql" not in process.output:
        check(process.alive and time.monotonic() < deadline, f"the embedded migrate did not get going:\n{process.output[-1500:]}")
        time.sleep(0.1)
    time.sleep(1)
    sent = time.monotonic()
    process.signal(signal.SIGTERM)
    code = process.finish(60)
    ended = process.ended - sent
    check(code == 128 + signal.SIGTERM, f"the embedded migrate exited {code}:\n{process.output[-1500:]}")
    leftovers = postgres_processes_under(state)
    check(not leftovers, f"the embedded PostgreSQL still runs after SIGTERM (pids {leftovers})")
    return ended


def sigterm_server(cluster, work, sleep_seconds, grace):
    """Returns (seconds to exit, run status) for a run sleeping `sleep_seconds` and a grace of `grace`."""
    folder = work / f"migrations-serve-{sleep_seconds}"
    write_folder(folder, sleep_seconds)
    database = cluster.fresh_database("sigterm_serve")
    server = Server(cluster, database, folder, work, env={"RAILYARD_SHUTDOWN_GRACE": str(grace)})
    status, _, body = server.request("POST", "/api/runs", body="{}")
    check(status == 202, f"POST /api/runs answered {status}: {body}")
    run_id = json.loads(body)["id"]
    wait_until_sleeping(cluster, database, lambda: server.process.alive)
    sent = time.monotonic()
    code = server.stop(signal.SIGTERM, timeout=grace + 30)
    ended = server.process.ended - sent
    check(code == 0, f"the server exited {code} after SIGTERM:\n{server.process.output[-1500:]}")
    check(cluster.migration_lock_holders(database) == 0, "the migration lock is still held after the server exited")
    (run_status,) = cluster.query(database, "SELECT status FROM railyard_runs WHERE id = %s", (run_id,))[0]
    if sleep_seconds < grace:
        check(run_status == "succeeded", f"a run that fits in the grace period ended '{run_status}'")
        check(tables(cluster, database) == {"first_table", "slow_table", "last_table"}, "the run did not finish before exit")
    else:
        check(run_status == "cancelled", f"a cancelled run ended '{run_status}'")
        check(tables(cluster, database) == {"first_table"}, f"not all-or-nothing: tables {tables(cluster, database)}")
        check(ended < grace + 10, f"the server took {ended:.1f} s to stop with a {grace} s grace")
    # A new server finishes the work (the cancelled migration was not applied, so it may be edited).
    if run_status == "cancelled":
        (folder / SLOW).write_text("CREATE TABLE slow_table (id int);\n")
    server = Server(cluster, database, folder, work)
    status, _, body = server.request("POST", "/api/runs", body="{}")
    final = wait_for_run(server, json.loads(body)["id"]) if status == 202 else {"status": status, "body": body}
    server.stop()
    check(final["status"] == "succeeded", f"the run after the restart did not succeed: {final}")
    cluster.drop_database(database)
    return ended, run_status


def run(cluster, soak, rng):
    trials = 5 if soak else 1
    with Workdir("signals") as work:
        migrate_times = [sigterm_migrate(cluster, Path(work)) for _ in range(trials)]
        embedded_time = sigterm_migrate_embedded(Path(work))
        setup_time = sigterm_migrate(cluster, Path(work), "setup")
        cancelled = [sigterm_server(cluster, Path(work), 60, 2) for _ in range(trials)]
        finished = [sigterm_server(cluster, Path(work), 1, 20) for _ in range(trials)]
    return {
        "SIGTERM to migrate mid-migration": {"trials": trials, "exit_max_s": round(max(migrate_times), 2),
                                             "rolled_back": "all", "lock_free_at_exit": "all"},
        "SIGTERM to setup mid-migration": {"exit_s": round(setup_time, 2), "rolled_back": True, "lock_free_at_exit": True},
        "SIGTERM to migrate on the embedded database": {"exit_s": round(embedded_time, 2), "cluster_stopped": True},
        "SIGTERM to serve, run longer than the 2 s grace": {"trials": trials, "exit_max_s": round(max(t for t, _ in cancelled), 2),
                                                            "run_status": cancelled[0][1], "lock_free_at_exit": "all"},
        "SIGTERM to serve, run within the grace": {"trials": trials, "exit_max_s": round(max(t for t, _ in finished), 2),
                                                   "run_status": finished[0][1]},
    }
