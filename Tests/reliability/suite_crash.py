"""Crashes at random moments: kill -9 of `railyard-server migrate`, kill -9
of the server during an API run, PostgreSQL stopped with `-m immediate`.
After each: all-or-nothing per migration, and a re-run finishes."""

import json
import random
import signal
import statistics
import time

from harness import Server, SuiteFailure, Workdir, check, migrate
from migration_sets import verify_all_or_nothing, write_chain


def wait_for_lock_release(cluster, database, limit=15):
    started = time.monotonic()
    while cluster.migration_lock_holders(database):
        if time.monotonic() - started > limit:
            raise SuiteFailure(f"the migration lock was still held {limit} s after the migrator died")
        time.sleep(0.02)
    return time.monotonic() - started


def full_run_seconds(cluster, folder, work, count):
    database = cluster.fresh_database("calibrate")
    process = migrate(cluster, database, folder, work)
    check(process.finish() == 0, f"the calibration run failed:\n{process.output[-2000:]}")
    check(verify_all_or_nothing(cluster, database, count) == count, "the calibration run did not apply everything")
    cluster.drop_database(database)
    return process.ended - process.started


def rerun_finishes(cluster, database, folder, work, count):
    process = migrate(cluster, database, folder, work)
    check(process.finish() == 0, f"the re-run after the crash failed:\n{process.output[-2000:]}")
    check(verify_all_or_nothing(cluster, database, count) == count, "the re-run did not apply everything")


def kill_migrate(cluster, trials, count, rng):
    with Workdir("crash") as work:
        folder = work / "migrations"
        write_chain(folder, count)
        full = full_run_seconds(cluster, folder, work, count)
        applied_at_kill, releases = [], []
        for trial in range(trials):
            database = cluster.fresh_database("crash")
            process = migrate(cluster, database, folder, work)
            time.sleep(rng.uniform(0, full))
            process.signal(signal.SIGKILL)
            process.finish()
            releases.append(wait_for_lock_release(cluster, database))
            try:
                applied_at_kill.append(verify_all_or_nothing(cluster, database, count))
                rerun_finishes(cluster, database, folder, work, count)
            except SuiteFailure as failure:
                raise SuiteFailure(f"kill -9 trial {trial + 1}: {failure}") from None
            cluster.drop_database(database)
    return {"trials": trials, "migrations": count, "full_run_s": round(full, 2),
            "applied_when_killed": f"{min(applied_at_kill)}-{max(applied_at_kill)}",
            "lock_released_max_s": round(max(releases), 2)}


def kill_server(cluster, trials, count, rng):
    with Workdir("crash-server") as work:
        folder = work / "migrations"
        write_chain(folder, count)
        full = full_run_seconds(cluster, folder, work, count)
        interrupted = 0
        for trial in range(trials):
            database = cluster.fresh_database("crash_server")
            server = Server(cluster, database, folder, work)
            status, _, body = server.request("POST", "/api/runs", body="{}")
            check(status == 202, f"POST /api/runs answered {status}: {body}")
            run_id = json.loads(body)["id"]
            time.sleep(rng.uniform(0, full))
            server.stop(signal.SIGKILL)
            wait_for_lock_release(cluster, database)
            try:
                verify_all_or_nothing(cluster, database, count)
                interrupted += after_server_crash(cluster, database, folder, work, run_id, count)
            except SuiteFailure as failure:
                raise SuiteFailure(f"server kill -9 trial {trial + 1}: {failure}") from None
            cluster.drop_database(database)
    return {"trials": trials, "migrations": count, "runs_interrupted": interrupted}


def after_server_crash(cluster, database, folder, work, run_id, count):
    """A new server reports the dead run truthfully and finishes the work."""
    server = Server(cluster, database, folder, work)
    try:
        status, _, body = server.request("GET", f"/api/runs/{run_id}")
        interrupted = 0
        if status == 200:
            run = json.loads(body)
            check(run["status"] != "running", f"the dead server's run is still reported running: {body[:300]}")
            if run["status"] == "failed":
                check(run["error"]["kind"] == "interrupted", f"the dead run's error is not 'interrupted': {body[:300]}")
                interrupted = 1
        else:
            # Killed before the run was planned and recorded.
            check(status == 404, f"GET /api/runs/{run_id} answered {status}: {body[:300]}")
        status, _, body = server.request("POST", "/api/runs", body="{}")
        check(status == 202, f"POST /api/runs after the crash answered {status}: {body}")
        final = wait_for_run(server, json.loads(body)["id"])
        check(final["status"] == "succeeded", f"the run after the crash did not succeed: {json.dumps(final)[:500]}")
        check(verify_all_or_nothing(cluster, database, count) == count, "the run after the crash did not apply everything")
        return interrupted
    finally:
        check(server.stop() == 0, "the server did not stop cleanly on SIGTERM")


def wait_for_run(server, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = server.request("GET", f"/api/runs/{run_id}")
        if status == 200 and json.loads(body)["status"] != "running":
            return json.loads(body)
        time.sleep(0.1)
    raise SuiteFailure(f"run {run_id} did not finish within {timeout} s")


def restart_postgres(cluster, trials, count, rng):
    with Workdir("crash-postgres") as work:
        folder = work / "migrations"
        write_chain(folder, count)
        full = full_run_seconds(cluster, folder, work, count)
        reported_done, restarts = 0, []
        for trial in range(trials):
            database = cluster.fresh_database("crash_pg")
            process = migrate(cluster, database, folder, work)
            # Up to a little after the run's usual end, so that some runs have
            # reported success: those must lose nothing to the crash.
            time.sleep(rng.uniform(0.1, full * 1.3))
            succeeded_before = not process.alive and process.returncode == 0
            started = time.monotonic()
            cluster.crash_restart()
            restarts.append(time.monotonic() - started)
            code = process.finish(60)
            try:
                applied = verify_all_or_nothing(cluster, database, count)
                if succeeded_before:
                    reported_done += 1
                    check(applied == count, f"the run reported success, yet after the crash only {applied} of {count} are applied")
                elif code != 0:
                    check("✗" in process.output, f"the interrupted migrate exited {code} without saying why")
                rerun_finishes(cluster, database, folder, work, count)
            except SuiteFailure as failure:
                raise SuiteFailure(f"pg_ctl -m immediate trial {trial + 1}: {failure}") from None
            cluster.drop_database(database)
    return {"trials": trials, "migrations": count, "finished_before_crash": reported_done,
            "restart_median_s": round(statistics.median(restarts), 2)}


def run(cluster, soak, rng: random.Random):
    trials = (50, 10, 10) if soak else (8, 3, 3)
    count = 300 if soak else 100
    return {
        "kill -9 migrate": kill_migrate(cluster, trials[0], count, rng),
        "kill -9 server mid-run": kill_server(cluster, trials[1], count, rng),
        "PostgreSQL -m immediate": restart_postgres(cluster, trials[2], count, rng),
    }
