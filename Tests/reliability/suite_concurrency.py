"""16 migrators at once, processes and API runs mixed: every migration
applied exactly once, no deadlock, every migrator succeeds. An API run
asked for while another migrator holds the lock is refused with 409
naming the run in progress (one run at a time across replicas)."""

import json
import statistics
import time

from harness import Server, Workdir, check, migrate
from migration_sets import verify_all_or_nothing, write_chain
from suite_crash import wait_for_run

MIGRATORS = 16
API_RUNS = 4


def trial(cluster, folder, work, count):
    database = cluster.fresh_database("concurrency")
    servers = [Server(cluster, database, folder, work) for _ in range(API_RUNS)]
    try:
        started = time.monotonic()
        processes = [migrate(cluster, database, folder, work) for _ in range(MIGRATORS - API_RUNS)]
        run_ids, refused = [], 0
        for server in servers:
            status, _, body = server.request("POST", "/api/runs", body="{}")
            check(status in (202, 409), f"POST /api/runs answered {status}: {body}")
            if status == 409:
                refused += 1
                check("in progress" in json.loads(body).get("detail", "") or "lock" in body, f"a 409 that names nothing: {body}")
                run_ids.append(None)
            else:
                run_ids.append(json.loads(body)["id"])
        for process in processes:
            code = process.finish(300)
            check(code == 0, f"a concurrent migrate exited {code}:\n{process.output[-2000:]}")
        for server, run_id in zip(servers, run_ids):
            if run_id is None:
                continue
            final = wait_for_run(server, run_id, timeout=300)
            check(final["status"] == "succeeded", f"a concurrent API run did not succeed: {json.dumps(final)[:500]}")
        elapsed = time.monotonic() - started
        check(verify_all_or_nothing(cluster, database, count) == count, "not every migration was applied")
        waited = sum("Waiting for the migration lock" in process.output for process in processes)
        return elapsed, waited, refused
    finally:
        for server in servers:
            check(server.stop() == 0, "a server did not stop cleanly on SIGTERM")
        cluster.drop_database(database)


def run(cluster, soak, rng):
    trials = 10 if soak else 2
    count = 30
    with Workdir("concurrency") as work:
        folder = work / "migrations"
        write_chain(folder, count)
        times, waits, refusals = [], [], []
        for index in range(trials):
            elapsed, waited, refused = trial(cluster, folder, work, count)
            times.append(elapsed)
            waits.append(waited)
            refusals.append(refused)
    return {"16 migrators (12 processes + 4 API runs)": {
        "trials": trials, "migrations": count, "applied_exactly_once": "all", "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2), "processes_that_waited_median": statistics.median(waits),
        "api_runs_refused_409_median": statistics.median(refusals)}}
