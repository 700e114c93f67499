"""Hostile migration folders: `railyard lint` and `railyard-server migrate`
refuse them with file:line:column before anything runs, in bounded memory;
a huge valid statement and a folder of 10,000 files are handled."""

import random
import re
import time

from harness import CLI, Process, Workdir, check, migrate

MIB = 1024 * 1024
BIG = 50 * MIB
# Peak memory allowed: a fixed base plus this many times the largest file.
BASE_MIB, PER_FILE_BYTE = 64, 6

VALID = ("20250101000000_create_ledger.sql", "CREATE TABLE ledger (id int);\n")


def hostile_cases(rng):
    """(name, file name, content bytes, expected 'line:column: error[rule]' or a regex)."""
    garbage = bytes(rng.getrandbits(8) for _ in range(256 * 1024))
    return [
        ("binary garbage", "20250101000100_garbage.sql", garbage, re.compile(r":\d+:\d+: error\[encoding\]")),
        ("invalid UTF-8", "20250101000100_latin1.sql", b"SELECT 1;\n\n-- caf\xe9 au lait\nSELECT 2;\n", "3:7: error[encoding]"),
        ("NUL byte", "20250101000100_nul.sql", b"SELECT 1;\nSELECT '\x00';\n", "2:9: error[encoding]"),
        ("unterminated quote", "20250101000100_quote.sql", b"SELECT 1;\nINSERT INTO ledger VALUES ('oops);\n", "2:28: error[syntax]"),
        ("unterminated dollar quote", "20250101000100_dollar.sql",
         b"CREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n$bod$ LANGUAGE sql;\n", "1:36: error[syntax]"),
        ("unterminated comment", "20250101000100_comment.sql", b"SELECT 1; /* outer /* inner */\nSELECT 2;\n", "1:11: error[syntax]"),
        ("unterminated identifier", "20250101000100_ident.sql", b'SELECT "id FROM ledger;\n', "1:8: error[syntax]"),
        ("50 MB unterminated statement", "20250101000100_huge_open.sql",
         b"INSERT INTO ledger VALUES ('" + b"x" * BIG + b"\n", "1:28: error[syntax]"),
        ("name with a space", "20250101000100_add ledger.sql", b"SELECT 1;\n", "1:1: error[file-name]"),
        ("unicode name", "20250101000100_caf\u00e9.sql".encode(), b"SELECT 1;\n", "1:1: error[file-name]"),
    ]


def peak_mib(process):
    return process.max_rss_kib / 1024


def refused(cluster, work, index, name, filename, content, expected):
    folder = work / f"case-{index}"
    folder.mkdir()
    (folder / VALID[0]).write_text(VALID[1])
    path = bytes(folder) + b"/" + (filename if isinstance(filename, bytes) else filename.encode())
    with open(path, "wb") as file:
        file.write(content)
    shown = (filename.decode() if isinstance(filename, bytes) else filename)
    limit = BASE_MIB + PER_FILE_BYTE * len(content) / MIB
    lint = Process([CLI, "lint", "--dir", str(folder)], {}, work, "lint", measure_memory=True)
    check(lint.finish(300) == 1, f"{name}: lint exited {lint.returncode}:\n{lint.output[-1500:]}")
    database = cluster.fresh_database("hostile")
    run = migrate(cluster, database, folder, work, measure_memory=True)
    check(run.finish(300) == 1, f"{name}: migrate exited {run.returncode}:\n{run.output[-1500:]}")
    touched = cluster.query(database, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")[0][0]
    cluster.drop_database(database)
    for tool, process in (("lint", lint), ("migrate", run)):
        output = process.output
        if isinstance(expected, str):
            check(f"{shown}:{expected}" in output, f"{name}: {tool} did not report {shown}:{expected}:\n{output[-1500:]}")
        else:
            check(re.search(re.escape(shown) + expected.pattern, output), f"{name}: {tool} gave no position:\n{output[-1500:]}")
        check(peak_mib(process) <= limit, f"{name}: {tool} peaked at {peak_mib(process):.0f} MiB (limit {limit:.0f})")
    check(touched == 0, f"{name}: migrate created {touched} relations although the folder was refused")
    check("nothing was run" in run.output, f"{name}: migrate did not say that nothing ran:\n{run.output[-800:]}")
    return max(peak_mib(lint), peak_mib(run)), max(lint.ended - lint.started, run.ended - run.started)


def huge_valid_statement(cluster, work):
    folder = work / "huge-valid"
    folder.mkdir()
    (folder / VALID[0]).write_text("CREATE TABLE blobs (body text);\n")
    (folder / "20250101000100_huge.sql").write_bytes(b"INSERT INTO blobs VALUES ('" + b"y" * BIG + b"');\n")
    lint = Process([CLI, "lint", "--dir", str(folder)], {}, work, "lint", measure_memory=True)
    check(lint.finish(300) in (0, 2) or "error[" not in lint.output, f"50 MB valid statement: lint failed:\n{lint.output[-1500:]}")
    database = cluster.fresh_database("hostile_huge")
    run = migrate(cluster, database, folder, work, measure_memory=True)
    check(run.finish(300) == 0, f"50 MB valid statement: migrate failed:\n{run.output[-1500:]}")
    stored = cluster.query(database, "SELECT length(body) FROM blobs")[0][0]
    cluster.drop_database(database)
    check(stored == BIG, f"50 MB valid statement: stored {stored} characters")
    limit = BASE_MIB + PER_FILE_BYTE * BIG / MIB
    for tool, process in (("lint", lint), ("migrate", run)):
        check(peak_mib(process) <= limit, f"50 MB valid statement: {tool} peaked at {peak_mib(process):.0f} MiB (limit {limit:.0f})")
    return {"lint_peak_mib": round(peak_mib(lint)), "migrate_peak_mib": round(peak_mib(run)),
            "lint_s": round(lint.ended - lint.started, 1), "migrate_s": round(run.ended - run.started, 1)}


def many_files(cluster, work, count, apply):
    folder = work / "many"
    folder.mkdir()
    for index in range(count):
        (folder / f"{20250101000000 + index * 100:014d}_step_{index}.sql").write_text(
            f"CREATE TABLE IF NOT EXISTS step_{index} (id int);\n")
    figures = {"files": count}
    lint = Process([CLI, "lint", "--dir", str(folder)], {}, work, "lint", measure_memory=True)
    check(lint.finish(600) == 0, f"{count} files: lint failed:\n{lint.output[-1500:]}")
    figures.update(lint_s=round(lint.ended - lint.started, 1), lint_peak_mib=round(peak_mib(lint)))
    database = cluster.fresh_database("hostile_many")
    if apply:
        run = migrate(cluster, database, folder, work, measure_memory=True)
        check(run.finish(1800) == 0, f"{count} files: migrate failed:\n{run.output[-1500:]}")
        tracked = cluster.query(database, "SELECT count(*) FROM railyard_migrations")[0][0]
        check(tracked == count, f"{count} files: {tracked} tracked")
        figures.update(migrate_s=round(run.ended - run.started, 1), migrate_peak_mib=round(peak_mib(run)))
    status = Process([CLI.replace("railyard", "railyard-server"), "status", "--dir", str(folder)],
                     {"DATABASE_URL": cluster.url(database)}, work, "status", measure_memory=True)
    check(status.finish(600) == 0, f"{count} files: status failed:\n{status.output[-1500:]}")
    cluster.drop_database(database)
    figures.update(status_s=round(status.ended - status.started, 1), status_peak_mib=round(peak_mib(status)))
    for key in ("lint_peak_mib", "migrate_peak_mib", "status_peak_mib"):
        check(figures.get(key, 0) <= 256, f"{count} files: {key} = {figures.get(key)} MiB (limit 256)")
    return figures


def run(cluster, soak, rng: random.Random):
    with Workdir("hostile-files") as work:
        peaks, slowest = {}, 0.0
        for index, (name, filename, content, expected) in enumerate(hostile_cases(rng)):
            peak, seconds = refused(cluster, work, index, name, filename, content, expected)
            peaks[name] = peak
            slowest = max(slowest, seconds)
        huge = huge_valid_statement(cluster, work)
        many = many_files(cluster, work, 10_000, apply=soak)
    small = max(peak for name, peak in peaks.items() if not name.startswith("50 MB"))
    return {
        "refused before running (10 kinds)": {"cases": len(peaks), "refused_with_position": "all", "database_touched": 0,
                                               "peak_mib_small_files": round(small),
                                               "peak_mib_50MB_unterminated": round(peaks["50 MB unterminated statement"]),
                                               "slowest_s": round(slowest, 1)},
        "50 MB valid statement": huge,
        "10,000 files": many,
        "memory bound": {"limit": f"{BASE_MIB} MiB + {PER_FILE_BYTE} x largest file; 256 MiB for 10,000 files"},
    }
