"""Hostile requests: every protected endpoint against every kind of token,
bodies over the limit refused without being read whole, slow-loris clients
cut off while everyone else is served, and (soak) schemathesis with 200
examples per operation."""

import json
import os
import re
import socket
import subprocess
import threading
import time
from collections import Counter

from harness import ADMIN_TOKEN, READ_TOKEN, ROOT, Server, SuiteFailure, Workdir, check, migrate
from migration_sets import version, write_chain

IDLE_TIMEOUT = 5
LIMIT = 64 * 1024


def endpoints():
    """(method, path, body, needs admin) of every protected operation in openapi.yaml."""
    v = version(3)
    return [
        ("GET", "/api/migrations", None, False),
        ("GET", f"/api/migrations/{v}", None, False),
        ("POST", f"/api/migrations/{v}/rollback-scaffold", None, False),
        ("GET", "/api/runs", None, False),
        ("GET", "/api/runs/00000000-0000-4000-8000-000000000000", None, False),
        ("GET", "/metrics", None, False),
        ("POST", "/api/runs", '{"dry_run": true}', True),
    ]


def auth_table(server):
    wrong = ["wrong-token", ADMIN_TOKEN[:-1], ADMIN_TOKEN + "x", READ_TOKEN.upper(), "x" * 8000]
    checked = 0
    for method, path, body, admin_only in endpoints():
        for label, header in [("no token", None), *[(f"wrong token {i}", f"Bearer {t}") for i, t in enumerate(wrong)],
                              ("Basic scheme", f"Basic {ADMIN_TOKEN}"), ("empty bearer", "Bearer "),
                              ("read token", f"Bearer {READ_TOKEN}"), ("admin token", f"Bearer {ADMIN_TOKEN}")]:
            headers = {"Authorization": header} if header else {}
            status, response_headers, text = server.request(method, path, token=None, body=body, headers=headers)
            checked += 1
            where = f"{method} {path} with {label}"
            check(status < 500, f"{where}: {status} {text[:200]}")
            if label == "admin token":
                check(status not in (401, 403), f"{where}: refused with {status}")
            elif label == "read token":
                check(status == (403 if admin_only else status) and status != 401 and (admin_only or status != 403),
                      f"{where}: {status} (expected {'403' if admin_only else 'access'})")
            else:
                check(status == 401, f"{where}: {status}, expected 401")
                challenge = {k.lower(): v for k, v in response_headers.items()}.get("www-authenticate", "")
                check(challenge.startswith("Bearer"), f"{where}: 401 without WWW-Authenticate: Bearer")
    for path in ("/api/health", "/openapi.yaml"):
        for header in (None, "Bearer wrong-token"):
            status, _, _ = server.request("GET", path, token=None, headers={"Authorization": header} if header else {})
            check(status in (200, 503), f"public GET {path} answered {status} ({'with' if header else 'without'} a wrong token)")
            checked += 1
    return checked


def read_response(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def oversize_bodies(server, rounds):
    """413 before the body is sent in full: declared too long, or chunked past the limit."""
    latencies = []
    rss_before = server.process.current_rss_kib()
    for index in range(rounds):
        sock = server.socket()
        started = time.monotonic()
        sock.sendall(f"POST /api/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n".encode() + b"{" * (LIMIT * 2))
        reply = read_response(sock, 5)
        sock.close()
        check(reply.startswith(b"HTTP/1.1 413"), f"a declared 100 MB body got {reply[:60]!r} (round {index + 1})")
        latencies.append(time.monotonic() - started)

        sock = server.socket()
        started = time.monotonic()
        sock.sendall(f"POST /api/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                     f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
        for _ in range(6):  # 96 KiB, and the body never ends
            sock.sendall(chunk)
        reply = read_response(sock, 5)
        sock.close()
        check(reply.startswith(b"HTTP/1.1 413"), f"an endless chunked body got {reply[:60]!r} (round {index + 1})")
        latencies.append(time.monotonic() - started)
    rss_after = server.process.current_rss_kib()
    return {"requests": rounds * 2, "all_413": True, "slowest_s": round(max(latencies), 3),
            "rss_growth_mib": round((rss_after - rss_before) / 1024, 1)}


def slow_loris(server, connections):
    """Clients trickling header bytes; everyone else must still be served, and
    the trickling connections are closed after the idle timeout."""
    sockets = []
    for _ in range(connections):
        sock = server.socket()
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    opened = time.monotonic()
    closed = set()
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for index, sock in enumerate(sockets):
                if index in closed:
                    continue
                try:
                    sock.sendall(b"X")
                except OSError:
                    closed.add(index)
            stop.wait(0.5)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    latencies = []
    try:
        while time.monotonic() - opened < IDLE_TIMEOUT - 1:
            started = time.monotonic()
            status, _, _ = server.request("GET", "/api/migrations", token=READ_TOKEN, timeout=5)
            latencies.append(time.monotonic() - started)
            check(status == 200, f"GET /api/migrations answered {status} during the slow-loris attack")
            time.sleep(0.05)
        rss_during = server.process.current_rss_kib()
        # Wait for the server to close every trickling connection.
        deadline = opened + IDLE_TIMEOUT + 10
        while len(closed) < connections and time.monotonic() < deadline:
            time.sleep(0.2)
        closed_after = time.monotonic() - opened
    finally:
        stop.set()
        trickler.join(5)
        for sock in sockets:
            sock.close()
    check(len(closed) == connections, f"{connections - len(closed)} of {connections} slow-loris connections were still open "
                                      f"{IDLE_TIMEOUT + 10} s after they started (idle timeout {IDLE_TIMEOUT} s)")
    check(max(latencies) < 1.0, f"a normal request took {max(latencies):.2f} s during the slow-loris attack")
    return {"connections": connections, "normal_requests": len(latencies), "normal_max_s": round(max(latencies), 3),
            "all_cut_after_s": round(closed_after, 1), "idle_timeout_s": IDLE_TIMEOUT, "rss_during_mib": round(rss_during / 1024)}


OPERATIONS_WITHOUT_INPUT = {"GET /", "GET /api/health", "GET /api/migrations", "GET /metrics", "GET /openapi.yaml", "GET /api/schema",
                            "GET /api/schema/drift"}


# scripts/schemathesis.sh leaves out the stream that never ends (EventStreamTests read it).
OPERATIONS_NOT_FUZZED = {"GET /api/events"}


def contract_operations():
    """Every operation of openapi.yaml that schemathesis.sh fuzzes, e.g. 'POST /api/runs/{id}/cancel'."""
    import yaml
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text())["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item if method in ("get", "post")} - OPERATIONS_NOT_FUZZED


def operation(method, url):
    """The openapi.yaml operation a request was for, e.g. 'GET /api/runs/{id}'."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[:2] == ["api", "migrations"]:
        path = "/api/migrations/{version}" + "".join("/" + part for part in parts[3:4])
    elif len(parts) >= 3 and parts[:2] == ["api", "runs"]:
        path = "/api/runs/{id}" + "".join("/" + part for part in parts[3:4])
    return f"{method} {path}"


def schemathesis(work, examples):
    """Every operation that takes input gets at least `examples` generated
    requests (counted in schemathesis' HTTP archive); the ones without input
    have nothing to vary and get what schemathesis makes of them."""
    har = work / "schemathesis.har"
    env = dict(os.environ, SCHEMATHESIS_EXAMPLES=str(examples))
    started = time.monotonic()
    result = subprocess.run([str(ROOT / "scripts" / "schemathesis.sh"), "--report", "har", "--report-har-path", str(har)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SuiteFailure(f"schemathesis with {examples} examples failed:\n{(result.stdout + result.stderr)[-3000:]}")
    counts = Counter(operation(entry["request"]["method"], entry["request"]["url"])
                     for entry in json.loads(har.read_text())["log"]["entries"])
    with_input = {name: count for name, count in counts.items() if name not in OPERATIONS_WITHOUT_INPUT}
    expected = contract_operations() - OPERATIONS_WITHOUT_INPUT
    check(set(with_input) == expected, f"schemathesis did not reach every operation that takes input: {sorted(expected - set(with_input))}"
                                       f" (reached {sorted(counts)})")
    # Hypothesis stops early where the input has few distinct values: POST
    # /api/runs (few body shapes; fuzz_run_bodies covers it with bodies of our
    # own) and GET /api/runs (one parameter, limit 1-100).
    counted = {name: count for name, count in with_input.items() if name not in ("POST /api/runs", "GET /api/runs")}
    check(min(counted.values()) >= examples, f"an operation got fewer than {examples} requests: {with_input}")
    return {"max_examples": examples, "requests_per_operation_with_input": f"{min(counted.values())}-{max(counted.values())}",
            "POST_/api/runs_requests": with_input["POST /api/runs"], "GET_/api/runs_requests": with_input["GET /api/runs"],
            "requests_per_operation_without_input": f"{min(counts[n] for n in OPERATIONS_WITHOUT_INPUT)}-{max(counts[n] for n in OPERATIONS_WITHOUT_INPUT)}",
            "server_errors": 0, "seconds": round(time.monotonic() - started)}


def random_json(rng, depth=0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -(2**64), 1e308, 3.5])
    if kind == 3:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x10FFFF)])) for _ in range(rng.randrange(40)))
    if kind == 4:
        return "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 40)))
    if kind == 5:
        return ""
    if kind == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["target", "dry_run", "allow_changed", "unknown", ""]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def fuzz_run_bodies(server, rng, count):
    """POST /api/runs with random JSON values, broken JSON and raw bytes:
    every answer is a 2xx/4xx with a problem document, never a 5xx."""
    seen = Counter()
    for index in range(count):
        choice = rng.randrange(10)
        if choice < 6:
            value = random_json(rng)
            if choice < 3 and isinstance(value, dict):
                value = {"dry_run": True, **value}  # runs that pass validation do not migrate
            body = json.dumps(value)
        elif choice < 8:
            body = json.dumps(random_json(rng))[: rng.randrange(1, 30)]
        else:
            body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200))).decode("latin-1")
        status, headers, text = server.request("POST", "/api/runs", body=body.encode("utf-8", "surrogatepass"))
        seen[status] += 1
        check(status < 500, f"POST /api/runs with {body[:120]!r} answered {status}: {text[:300]}")
        if status >= 400:
            kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
            check(kind.startswith("application/problem+json"), f"a {status} without a problem document for {body[:80]!r}")
    return {"requests": count, "statuses": dict(sorted(seen.items())), "server_errors": 0}


def run(cluster, soak, rng):
    with Workdir("hostile-requests") as work:
        folder = work / "migrations"
        write_chain(folder, 20)
        database = cluster.fresh_database("requests")
        check(migrate(cluster, database, folder, work).finish() == 0, "setting up the database failed")
        server = Server(cluster, database, folder, work, env={"RAILYARD_IDLE_TIMEOUT": str(IDLE_TIMEOUT)})
        try:
            figures = {"auth table": {"requests": auth_table(server), "matches_spec": "all"},
                       "oversize bodies": oversize_bodies(server, 50 if soak else 5),
                       "slow-loris": slow_loris(server, 1000 if soak else 200),
                       "fuzzed POST /api/runs bodies": fuzz_run_bodies(server, rng, 300 if soak else 60)}
            check(server.process.alive, "the server died")
            status, _, body = server.request("GET", "/api/health", token=None)
            check(status == 200, f"health after the attacks: {status} {body[:200]}")
        finally:
            server.stop()
            cluster.drop_database(database)
        if soak:
            figures["schemathesis"] = schemathesis(work, 200)
    return figures
