"""PostgreSQL stops and starts while wrk loads GET /api/health and
GET /api/migrations: the server never crashes, no request hangs past its
timeout, health tells the truth within 3 s, service returns by itself."""

import http.client
import re
import subprocess
import threading
import time

from harness import READ_TOKEN, Server, SuiteFailure, Workdir, check, migrate
from migration_sets import write_chain

TRUTH_WITHIN = 3.0
REQUEST_TIMEOUT = 5


class Prober(threading.Thread):
    """GET /api/health every 100 ms, remembering (sent, received, status)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
                connection.request("GET", "/api/health")
                status = connection.getresponse().status
                connection.close()
            except Exception as error:  # a refused or hung request is a finding, not a crash of the suite
                status = f"{type(error).__name__}"
            self.samples.append((sent, time.monotonic(), status))
            time.sleep(0.1)

    def first(self, status, after):
        return next((received for sent, received, got in self.samples if sent >= after and got == status), None)


def wrk(port, path, seconds, connections, token=None):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={REQUEST_TIMEOUT}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    return subprocess.Popen(command + [f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse_wrk(output):
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    requests = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency_max = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
    check(requests, f"wrk printed no totals:\n{output}")
    return {"requests": int(requests.group(1)), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "timeouts": int(errors.group(4)) if errors else 0, "connect_errors": int(errors.group(1)) if errors else 0,
            "latency_max": latency_max.group(1) if latency_max else "?"}


def run(cluster, soak, rng):
    cycles = 3 if soak else 1
    up_seconds, down_seconds = (8, 6) if soak else (3, 4)
    with Workdir("outage") as work:
        folder = work / "migrations"
        write_chain(folder, 200)
        database = cluster.fresh_database("outage")
        check(migrate(cluster, database, folder, work).finish() == 0, "setting up the outage database failed")
        server = Server(cluster, database, folder, work)
        duration = cycles * (up_seconds + down_seconds + 4) + 4
        prober = Prober(server.port)
        prober.start()
        load = [wrk(server.port, "/api/health", duration, 16), wrk(server.port, "/api/migrations", duration, 8, READ_TOKEN)]
        detections, recoveries = [], []
        try:
            for _ in range(cycles):
                time.sleep(up_seconds)
                cluster.stop("fast")
                stopped = time.monotonic()
                time.sleep(down_seconds)
                detected = prober.first(503, stopped)
                check(detected is not None, f"health never answered 503 in the {down_seconds} s PostgreSQL was down")
                detections.append(detected - stopped)
                cluster.start()
                started = time.monotonic()
                deadline = started + 30
                while prober.first(200, started) is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                recovered = prober.first(200, started)
                check(recovered is not None, "health did not come back within 30 s of PostgreSQL starting")
                recoveries.append(recovered - started)
            outputs = [process.communicate(timeout=duration + 30)[0] for process in load]
        finally:
            prober.stopping.set()
            for process in load:
                if process.poll() is None:
                    process.kill()
        check(server.process.alive, f"the server died during the outage:\n{server.process.output[-2000:]}")
        health, listing = parse_wrk(outputs[0]), parse_wrk(outputs[1])
        prober.join(REQUEST_TIMEOUT + 1)
        failures = [status for _, _, status in prober.samples if not isinstance(status, int)]
        slowest = max(received - sent for sent, received, _ in prober.samples)
        status, _, _ = server.request("GET", "/api/migrations", token=READ_TOKEN)
        check(status == 200, f"GET /api/migrations answers {status} after the outage")
        check(server.stop() == 0, "the server did not stop cleanly after the outage")
        cluster.drop_database(database)
    check(not failures, f"health requests failed at the socket: {failures[:5]}")
    for name, figures in (("health", health), ("migrations", listing)):
        check(figures["timeouts"] == 0, f"wrk saw {figures['timeouts']} {name} requests time out ({REQUEST_TIMEOUT} s)")
        check(figures["connect_errors"] == 0, f"wrk could not connect {figures['connect_errors']} times ({name})")
    check(max(detections) <= TRUTH_WITHIN, f"health took {max(detections):.2f} s to report the outage (limit {TRUTH_WITHIN} s)")
    check(max(recoveries) <= TRUTH_WITHIN, f"health took {max(recoveries):.2f} s to report recovery (limit {TRUTH_WITHIN} s)")
    return {"wrk under outages": {
        "outages": cycles, "down_s": down_seconds, "health_requests": health["requests"], "health_non_2xx": health["non_2xx"],
        "migrations_requests": listing["requests"], "migrations_non_2xx": listing["non_2xx"],
        "timeouts": health["timeouts"] + listing["timeouts"], "max_latency": f"{health['latency_max']}/{listing['latency_max']}",
        "probe_slowest_s": round(slowest, 2), "outage_seen_after_s": round(max(detections), 2),
        "recovery_seen_after_s": round(max(recoveries), 2), "server_crashes": 0}}
