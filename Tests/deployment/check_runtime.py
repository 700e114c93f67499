#!/usr/bin/env python3
"""Runs what Railway runs, against the test PostgreSQL:

- the image's default command (the Dockerfile's CMD with the runtime
  stage's ENV, paths under /app mapped to a scratch folder): it must apply
  every pending migration before the port answers, and exit non-zero
  without ever serving when a migration fails;
- the app's pre-deploy gate, exactly as the README gives it, against a live
  Railyard server: it passes when the database is up to date or the run it
  starts succeeds, and fails, naming the migration, when one fails or (the
  read-only form) is pending.

Run by `make test` (scripts/test-all.sh) inside scripts/with-test-postgres.sh.
Prints one line per check and "N passed, M failed" at the end.
"""
import json
import os
import re
import shlex
import shutil
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
import harness  # noqa: E402

ROOT = harness.ROOT
README = (ROOT / "README.md").read_text()
BAD_MIGRATION = "20991231000000_broken.sql"

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else f": {detail}"))


def runtime_stage():
    """The runtime stage's CMD (exec form) and ENV settings."""
    stage = re.split(r"^FROM\s", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)[-1]
    joined = stage.replace("\\\n", " ")
    command = json.loads(re.findall(r"^CMD\s+(\[.*\])\s*$", joined, re.MULTILINE)[-1])
    env = {}
    for line in re.findall(r"^ENV\s+(.*)$", joined, re.MULTILINE):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            env[key] = value
    return command, env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def folder_with(workdir, extra=None):
    folder = workdir / "app" / "migrations"
    shutil.copytree(ROOT / "migrations", folder)
    if extra:
        (folder / BAD_MIGRATION).write_text(extra)
    return folder


def image_process(cluster, database, workdir):
    """The image's CMD as the container runs it: the binary from this build
    in place of /usr/local/bin's, the image's environment, Railway's PORT."""
    command, image_env = runtime_stage()
    env = {key: value.replace("/app", str(workdir / "app")) for key, value in image_env.items()}
    env.update({"PORT": str(free_port()), "DATABASE_URL": cluster.url(database)})
    args = [str(harness.BIN / command[0]), *command[1:]]
    return harness.Process(args, env, workdir, "image"), int(env["PORT"])


def health(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.recv(100).split(b" ")[1] == b"200"
    except OSError:
        return False


def applied(cluster, database):
    rows = cluster.query(database, "SELECT to_regclass('public.railyard_migrations') IS NOT NULL")
    if not rows[0][0]:
        return set()
    return {row[0] for row in cluster.query(database, "SELECT filename FROM railyard_migrations")}


def check_image_migrates_first(cluster):
    files = {path.name for path in (ROOT / "migrations").glob("*.sql")}
    with harness.Workdir("image") as workdir:
        database = cluster.fresh_database("image")
        folder_with(workdir)
        process, port = image_process(cluster, database, workdir)
        seen_before_serving = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.alive:
            # Polled as fast as a health checker could: the first answer must
            # already find every migration applied.
            if health(port):
                seen_before_serving = applied(cluster, database)
                break
            time.sleep(0.005)
        log = process.output
        process.signal(15)
        code = process.finish(60)
        check("image default command: serves", seen_before_serving is not None, log[-1500:])
        check("image default command: every migration applied before the first health answer",
              seen_before_serving == files, sorted(files - (seen_before_serving or set())))
        check("image default command: the log says migrate-on-start applied them",
              f"migrate-on-start applied {len(files)} migrations" in log, log[-1500:])
        check("image default command: stops cleanly on SIGTERM", code == 0, code)

        # The same image started again (a second replica, or after the
        # pre-deploy step ran): nothing to do, and the log says why.
        process, port = image_process(cluster, database, workdir)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.alive and not health(port):
            time.sleep(0.02)
        process.signal(15)
        process.finish(60)
        check("image default command: a later start says the database was already migrated",
              "nothing to apply; the database was already migrated" in process.output, process.output[-1500:])
        cluster.drop_database(database)


def check_image_refuses_to_serve_on_failure(cluster):
    with harness.Workdir("image-fail") as workdir:
        database = cluster.fresh_database("image_fail")
        folder_with(workdir, "CREATE TABLE broken (id int);\nSELECT no_such_function();\n")
        process, port = image_process(cluster, database, workdir)
        served = False
        deadline = time.monotonic() + 120
        while process.alive and time.monotonic() < deadline:
            served = served or health(port)
            time.sleep(0.01)
        code = process.finish(5)
        log = process.output
        check("image default command: exits non-zero when a migration fails", code not in (0, None), code)
        check("image default command: never serves after a failed migration", not served and "listening on" not in log,
              log[-1500:])
        check("image default command: the error names the file, line and SQLSTATE",
              BAD_MIGRATION in log and "42883" in log and "line 2" in log, log[-1500:])
        check("image default command: the failed migration left nothing",
              cluster.query(database, "SELECT to_regclass('public.broken')")[0][0] is None)
        process = harness.Process([harness.SERVER, "serve"], {"RAILYARD_MIGRATE_ON_START": "maybe"}, workdir, "bad-env")
        code = process.finish(30)
        check("serve: a RAILYARD_MIGRATE_ON_START that is not a boolean is a usage error naming it",
              code == 64 and "RAILYARD_MIGRATE_ON_START must be true or false" in process.output, (code, process.output))
        cluster.drop_database(database)


def gate_commands():
    """The app's pre-deploy commands as the README gives them."""
    migrate = re.search(r"^railyard migrate --server \S+ --allow-insecure-http$", README, re.MULTILINE)
    status = re.search(r"^railyard status --exit-code --server \S+ --allow-insecure-http$", README, re.MULTILINE)
    check("README: gives the app's pre-deploy gate commands", migrate and status)
    return (shlex.split(migrate.group(0)) if migrate else None, shlex.split(status.group(0)) if status else None)


def run_gate(command, server, token, workdir):
    """Runs a README command with the app service's variables pointing at `server`."""
    args = [harness.CLI, *[arg.replace("$RAILYARD_URL", f"http://127.0.0.1:{server.port}")
                           .replace('"', "") for arg in command[1:]]]
    process = harness.Process(args, {"RAILYARD_TOKEN": token}, workdir, "gate")
    code = process.finish(120)
    return code, process.output


def check_app_gate(cluster):
    migrate, status = gate_commands()
    if not migrate or not status:
        return
    with harness.Workdir("gate") as workdir:
        database = cluster.fresh_database("gate")
        folder = folder_with(workdir)
        server = harness.Server(cluster, database, folder, workdir)
        try:
            code, output = run_gate(status, server, harness.READ_TOKEN, workdir)
            check("gate (status --exit-code): fails while migrations are pending", code == 1, (code, output[-800:]))
            check("gate (status --exit-code): names a pending migration",
                  "20250101000000_enable_extensions.sql is pending" in output, output[-800:])
            code, output = run_gate(migrate, server, harness.ADMIN_TOKEN, workdir)
            check("gate (migrate): a run that succeeds passes", code == 0, (code, output[-800:]))
            check("gate (migrate): the run applied the pending migrations",
                  applied(cluster, database) == {p.name for p in folder.glob("*.sql")})
            code, output = run_gate(migrate, server, harness.ADMIN_TOKEN, workdir)
            check("gate (migrate): an up-to-date database passes", code == 0 and "up to date" in output, (code, output[-800:]))
            code, output = run_gate(status, server, harness.READ_TOKEN, workdir)
            check("gate (status --exit-code): an up-to-date database passes", code == 0, (code, output[-800:]))
        finally:
            server.stop()
        (folder / BAD_MIGRATION).write_text("SELECT 1;\nSELECT no_such_function();\n")
        server = harness.Server(cluster, database, folder, workdir)
        try:
            code, output = run_gate(migrate, server, harness.ADMIN_TOKEN, workdir)
            check("gate (migrate): a failed migration fails the gate", code == 1, (code, output[-800:]))
            check("gate (migrate): the message names the migration and the error",
                  BAD_MIGRATION in output and "no_such_function" in output, output[-800:])
            code, output = run_gate(status, server, harness.READ_TOKEN, workdir)
            check("gate (status --exit-code): a failed or pending migration fails the gate",
                  code == 1 and BAD_MIGRATION in output, (code, output[-800:]))
        finally:
            server.stop()
        cluster.drop_database(database)


def main():
    cluster = harness.Cluster()
    for suite in (check_image_migrates_first, check_image_refuses_to_serve_on_failure, check_app_gate):
        try:
            suite(cluster)
        except harness.SuiteFailure as failure:
            check(suite.__name__, False, str(failure))
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
