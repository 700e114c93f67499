"""Migration folders for the suites, and the check that a database holds
exactly the effects of its tracked migrations."""

from datetime import datetime, timedelta
from pathlib import Path

from harness import check

BASE = datetime(2025, 1, 1)


def version(index):
    return (BASE + timedelta(minutes=index)).strftime("%Y%m%d%H%M%S")


def write_chain(folder, count, sleep_every=None, sleep_seconds=0.0):
    """`count` migrations, each creating a table that references the previous
    one, an index, an added column, three rows and a row in `applied_log`:
    every effect of migration i names its version, so a check can tell
    whether it happened in full, in part or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        v = version(index)
        lines = []
        if index == 0:
            lines.append("CREATE TABLE applied_log (version text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());")
        reference = f" REFERENCES t{index - 1}(id)" if index else ""
        lines += [
            f"CREATE TABLE t{index} (id integer PRIMARY KEY, prev integer{reference}, amount numeric(12,2) NOT NULL DEFAULT 0);",
            f"CREATE INDEX t{index}_prev_idx ON t{index} (prev);",
            f"ALTER TABLE t{index} ADD COLUMN note text;",
            f"INSERT INTO t{index} (id, prev, note) VALUES (1, {'1' if index else 'NULL'}, 'a'), (2, NULL, 'b'), (3, NULL, 'c');",
        ]
        if sleep_every and index % sleep_every == sleep_every - 1:
            lines.append(f"SELECT pg_sleep({sleep_seconds});")
        lines.append(f"INSERT INTO applied_log (version) VALUES ('{v}');")
        (folder / f"{v}_create_t{index}.sql").write_text("-- migrate:up\n" + "\n".join(lines) + f"\n\n-- migrate:down\nDROP TABLE t{index};\n")
    return [version(index) for index in range(count)]


def verify_all_or_nothing(cluster, database, count):
    """Every tracked migration's effects exist, every effect is tracked,
    nothing happened twice. Returns how many are applied."""
    rows = cluster.query(database, """
        SELECT to_regclass('public.railyard_migrations') IS NOT NULL, to_regclass('public.applied_log') IS NOT NULL""")[0]
    tracked, logged, tables = set(), [], set()
    if rows[0]:
        tracked = {v for (v,) in cluster.query(database, "SELECT version FROM railyard_migrations WHERE status = 'applied'")}
        failed = cluster.query(database, "SELECT version, error FROM railyard_migrations WHERE status <> 'applied'")
        check(not failed, f"transactional migrations left in a failed state: {failed}")
    if rows[1]:
        logged = [v for (v,) in cluster.query(database, "SELECT version FROM applied_log")]
    for (name,) in cluster.query(database, "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname ~ '^t[0-9]+$'"):
        tables.add(version(int(name[1:])))
    check(len(logged) == len(set(logged)), f"a migration's effects were applied twice: {sorted(logged)}")
    check(set(logged) == tracked, f"effects and tracking disagree: untracked effects {sorted(set(logged) - tracked)[:5]}, "
                                  f"tracked without effects {sorted(tracked - set(logged))[:5]}")
    check(tables == tracked, f"tables and tracking disagree: {sorted(tables ^ tracked)[:5]}")
    expected = {version(index) for index in range(count)}
    check(tracked <= expected, f"unknown versions tracked: {sorted(tracked - expected)[:5]}")
    # The applied ones form a prefix: migrations run in order, each after the previous.
    applied = len(tracked)
    check(tracked == {version(index) for index in range(applied)}, "the applied migrations are not a prefix of the folder")
    if applied:
        last = applied - 1
        columns = cluster.query(database, f"SELECT count(*) FROM t{last}")[0][0], cluster.query(
            database, f"SELECT count(*) FROM pg_attribute WHERE attrelid = 't{last}'::regclass AND attname = 'note'")[0][0]
        check(columns == (3, 1), f"the last applied migration t{last} is incomplete: rows, note column = {columns}")
    return applied
