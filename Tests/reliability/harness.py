"""What every reliability suite needs: the test PostgreSQL (which the suites
may stop and restart), fresh databases, Railyard's binaries as processes with
their peak memory, and a served API on a free loopback port."""

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".build" / "debug"
SERVER = str(BIN / "railyard-server")
CLI = str(BIN / "railyard")
ADMIN_TOKEN = "reliability-admin-token"
READ_TOKEN = "reliability-read-token"


class SuiteFailure(AssertionError):
    """A reliability promise that did not hold."""


def check(condition, message):
    if not condition:
        raise SuiteFailure(message)


class Cluster:
    """The private PostgreSQL of scripts/with-test-postgres.sh."""

    def __init__(self):
        try:
            self.conninfo = os.environ["RAILYARD_TEST_DATABASE_URL"]
            self.pg_bin = os.environ["RAILYARD_TEST_PG_BIN"]
            self.data = os.environ["RAILYARD_TEST_PG_DATA"]
        except KeyError as missing:
            raise SystemExit(f"{missing} is not set: run through scripts/with-test-postgres.sh") from None
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.log = str(Path(self.data).parent / "postgres.log")
        self.counter = 0

    def url(self, database):
        return f"{self.conninfo} dbname={database}"

    def connect(self, database="postgres", autocommit=True):
        connection = psycopg2.connect(self.url(database), connect_timeout=5)
        connection.autocommit = autocommit
        return connection

    def fresh_database(self, prefix):
        self.counter += 1
        name = f"rel_{prefix}_{os.getpid()}_{self.counter}"
        self.query("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.query("postgres", f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name):
        self.query("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def pg_ctl(self, *args):
        subprocess.run(self.as_postgres + [f"{self.pg_bin}/pg_ctl", "-D", self.data, *args],
                       check=True, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "-w", "stop")

    def start(self):
        # restart reuses the options the cluster was first started with.
        self.pg_ctl("-w", "-t", "60", "-l", self.log, "restart")

    def crash_restart(self):
        self.stop("immediate")
        self.start()

    def query(self, database, sql, params=None):
        """Runs one statement in autocommit mode on a connection of its own."""
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def migration_lock_holders(self, database):
        return self.query(database, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")[0][0]


class Process:
    """A Railyard binary run with its output in files; `finish` reaps it
    with its peak resident memory."""

    def __init__(self, args, env, workdir, name="process", measure_memory=False):
        self.workdir = Path(workdir)
        self.stdout_path = self.workdir / f"{name}.{random.getrandbits(32):08x}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        # A child's peak RSS as wait4 reports it includes this Python process's
        # own (the child starts as its copy), so GNU time, small itself,
        # starts the program and reports its peak.
        self.memory_path = self.stdout_path.with_suffix(".rss") if measure_memory else None
        if self.memory_path:
            args = ["/usr/bin/time", "-f", "%M", "-o", str(self.memory_path), *args]
        full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
        full_env.update(env)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(args, env=full_env, stdout=out, stderr=err, cwd=workdir,
                                          stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self.returncode = None
        self.max_rss_kib = None
        self.ended = None

    def signal(self, number):
        if self.returncode is None:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def finish(self, timeout=120):
        """Waits (killing it after `timeout`); returns the exit code (negative: signal)."""
        if self.returncode is not None:
            return self.returncode
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                break
            if time.monotonic() > deadline:
                self.signal(signal.SIGKILL)
                pid, status, usage = os.wait4(self.pid, 0)
                self.ended = time.monotonic()
                self.popen.returncode = self.returncode = os.waitstatus_to_exitcode(status)
                self.max_rss_kib = usage.ru_maxrss
                raise SuiteFailure(f"{self.popen.args[:2]} did not end within {timeout} s")
            time.sleep(0.01)
        self.ended = time.monotonic()
        self.popen.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        self.max_rss_kib = int(self.memory_path.read_text().split()[-1]) if self.memory_path else usage.ru_maxrss
        return self.returncode

    @property
    def alive(self):
        if self.returncode is not None:
            return False
        pid, status, usage = os.wait4(self.pid, os.WNOHANG)
        if pid == self.pid:
            self.ended = time.monotonic()
            self.popen.returncode = self.returncode = os.waitstatus_to_exitcode(status)
            self.max_rss_kib = usage.ru_maxrss
            return False
        return True

    @property
    def output(self):
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def current_rss_kib(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None


def migrate(cluster, database, folder, workdir, *extra, env=None, measure_memory=False):
    return Process([SERVER, "migrate", "--dir", str(folder), *extra],
                   {"DATABASE_URL": cluster.url(database), **(env or {})}, workdir, "migrate", measure_memory)


class Server:
    """`railyard-server serve` on a free loopback port."""

    def __init__(self, cluster, database, folder, workdir, env=None):
        settings = {"DATABASE_URL": cluster.url(database), "MIGRATIONS_DIR": str(folder), "PORT": "0",
                    "HOST": "127.0.0.1", "RAILYARD_ADMIN_TOKEN": ADMIN_TOKEN, "RAILYARD_READ_TOKEN": READ_TOKEN,
                    "RAILYARD_STATE_DIR": str(Path(workdir) / "state")}
        settings.update(env or {})
        self.process = Process([SERVER, "serve"], settings, workdir, "server")
        deadline = time.monotonic() + 60
        self.port = None
        while self.port is None:
            found = re.search(r"listening on [0-9.]+:(\d+)", self.process.stderr_path.read_text(errors="replace"))
            if found:
                self.port = int(found.group(1))
            elif not self.process.alive or time.monotonic() > deadline:
                self.process.signal(signal.SIGKILL)
                raise SuiteFailure(f"the server did not start:\n{self.process.output[-2000:]}")
            else:
                time.sleep(0.05)

    def request(self, method, path, token=ADMIN_TOKEN, body=None, timeout=10, headers=None):
        """(status, headers, body text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = dict(headers or {})
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            if body is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode(errors="replace")
        finally:
            connection.close()

    def socket(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def stop(self, number=signal.SIGTERM, timeout=60):
        self.process.signal(number)
        return self.process.finish(timeout)


class Workdir:
    """A scratch directory removed at the end unless the suite failed."""

    def __init__(self, name):
        self.path = Path(tempfile.mkdtemp(prefix=f"railyard-{name}-"))

    def __enter__(self):
        return self.path

    def __exit__(self, kind, value, traceback):
        if kind is None:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print(f"  (kept {self.path} for inspection)")
