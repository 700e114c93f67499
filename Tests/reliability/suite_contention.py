"""A long transaction holds a lock on a table a migration alters. The
migration gives up after lock_timeout (and its retries) naming the blocking
session, and the application's queries on that table, which queue behind
the migration's lock request, are never held up much longer than
lock_timeout at a time."""

import threading
import time

from harness import Workdir, check, migrate

LOCK_TIMEOUT_S = 1.0
MARGIN_S = 0.5


class Readers:
    """Application sessions reading the contended table in a loop."""

    def __init__(self, cluster, database, count=4):
        self.connections = [cluster.connect(database) for _ in range(count)]
        self.latencies = []
        self.errors = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(c,), daemon=True) for c in self.connections]

    def loop(self, connection):
        with connection.cursor() as cursor:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    cursor.execute("SELECT count(*) FROM accounts")
                    cursor.fetchall()
                except Exception as error:
                    self.errors.append(str(error))
                self.latencies.append(time.monotonic() - started)
                time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(10)
        for connection in self.connections:
            connection.close()


def scenario(cluster, folder, release_after):
    """The holder keeps its lock for `release_after` seconds (None: throughout)."""
    work = folder.parent
    folder.mkdir()
    (folder / "20250101000000_accounts.sql").write_text(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);\n"
        "INSERT INTO accounts SELECT g FROM generate_series(1, 1000) g;\n")
    database = cluster.fresh_database("contention")
    check(migrate(cluster, database, folder, work).finish() == 0, "creating the accounts table failed")
    (folder / "20250101000100_add_column.sql").write_text("ALTER TABLE accounts ADD COLUMN note text;\n")

    holder = cluster.connect(database, autocommit=False)
    holder_cursor = holder.cursor()
    holder_cursor.execute("SELECT pg_backend_pid()")
    holder_pid = holder_cursor.fetchone()[0]
    holder_cursor.execute("SELECT count(*) FROM accounts")  # AccessShareLock until the transaction ends
    env = {"RAILYARD_LOCK_TIMEOUT": f"{int(LOCK_TIMEOUT_S * 1000)}ms", "RAILYARD_LOCK_RETRIES": "3"}
    with Readers(cluster, database) as readers:
        time.sleep(0.3)
        process = migrate(cluster, database, folder, work, env=env)
        if release_after is not None:
            time.sleep(release_after)
            holder.rollback()
        code = process.finish(120)
        time.sleep(0.3)
    holder.rollback()
    holder.close()
    output = process.output
    applied = cluster.query(database, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'note'")[0][0]
    cluster.drop_database(database)
    worst = max(readers.latencies)
    check(not readers.errors, f"application queries failed: {readers.errors[:3]}")
    check(worst <= LOCK_TIMEOUT_S + MARGIN_S,
          f"an application query waited {worst:.2f} s behind the migration (lock_timeout {LOCK_TIMEOUT_S} s)")
    if release_after is None:
        check(code != 0, "the migration succeeded although the lock was never free")
        check(applied == 0, "the failed migration left its column behind")
        check("55P03" in output and "4 attempts" in output, f"the failure does not give SQLSTATE 55P03 and the attempts:\n{output[-2000:]}")
        check(f"pid {holder_pid}" in output and "accounts" in output,
              f"the failure does not name the blocking session (pid {holder_pid}) and table:\n{output[-2000:]}")
    else:
        check(code == 0, f"the migration did not succeed on a retry once the lock was free:\n{output[-2000:]}")
        check(applied == 1, "the migration reported success but the column is missing")
        check("Retrying" in output, f"the migration did not retry:\n{output[-2000:]}")
    return worst, len(readers.latencies), process.ended - process.started


def run(cluster, soak, rng):
    trials = 3 if soak else 1
    with Workdir("contention") as work:
        gives_up = [scenario(cluster, work / f"gives-up-{index}", None) for index in range(trials)]
        succeeds = [scenario(cluster, work / f"succeeds-{index}", 2.5) for index in range(trials)]
    return {
        "lock held throughout": {"trials": trials, "lock_timeout_s": LOCK_TIMEOUT_S, "attempts": 4,
                                 "migration_gave_up_after_s": round(max(t for _, _, t in gives_up), 2),
                                 "app_query_max_wait_s": round(max(w for w, _, _ in gives_up), 2),
                                 "app_queries": sum(n for _, n, _ in gives_up)},
        "lock freed after 2.5 s": {"trials": trials, "applied_on_retry": "all",
                                   "app_query_max_wait_s": round(max(w for w, _, _ in succeeds), 2),
                                   "app_queries": sum(n for _, n, _ in succeeds)},
    }
