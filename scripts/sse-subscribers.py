#!/usr/bin/env python3
"""Many clients on GET /api/events during one run: opens N connections,
starts a run, reads every stream until that run's end event, and samples
the server's resident memory meanwhile. Prints one JSON object:
subscribers, events each received, whether all received the same events
in order, the steps seen, the server's peak RSS (MiB) and the time from the
run's start to the last subscriber's end event.

Used by EventStreamTests (make test) and bench.py (make bench). Standard
library only.

usage: sse-subscribers.py PORT READ_TOKEN ADMIN_TOKEN SERVER_PID [N]
"""
import json
import selectors
import socket
import sys
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    port, read_token, admin_token, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    selector = selectors.DefaultSelector()
    streams = []
    request = f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {read_token}\r\nAccept: text/event-stream\r\n\r\n".encode()
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(request)
        connection.setblocking(False)
        stream = {"socket": connection, "buffer": b"", "events": [], "done": False, "headers": False}
        streams.append(stream)
        selector.register(connection, selectors.EVENT_READ, stream)
    peak = rss_kib(pid)
    # Every stream answered before the run starts.
    deadline = time.monotonic() + 20
    while not all(s["headers"] for s in streams) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            read(key.data)
    started = urllib.request.Request(f"http://127.0.0.1:{port}/api/runs", data=b"{}", method="POST",
                                     headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"})
    began = time.monotonic()
    run_id = json.loads(urllib.request.urlopen(started, timeout=10).read())["id"]
    last_sample = 0.0
    deadline = time.monotonic() + 120
    while not all(s["done"] for s in streams) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.05):
            read(key.data, run_id)
        if time.monotonic() - last_sample > 0.05:
            peak = max(peak, rss_kib(pid))
            last_sample = time.monotonic()
    elapsed = time.monotonic() - began
    peak = max(peak, rss_kib(pid))
    for stream in streams:
        stream["socket"].close()
    mine = [[(i, t, s) for (i, t, s) in stream["events"] if i.startswith(run_id + ":")] for stream in streams]
    first = mine[0]
    steps = [s for (_, t, s) in first if t == "step"]
    print(json.dumps({
        "subscribers": count,
        "finished": sum(1 for s in streams if s["done"]),
        "events": [len(events) for events in mine][:1] + ([] if all(len(e) == len(first) for e in mine) else [len(e) for e in mine]),
        "identical": all(events == first for events in mine),
        "in_order": [int(i.split(":")[1]) for (i, _, _) in first] == sorted(int(i.split(":")[1]) for (i, _, _) in first),
        "steps": steps,
        "run_status": next((s for (_, t, s) in reversed(first) if t == "end"), None),
        "peak_rss_mib": round(peak / 1024, 1),
        "seconds": round(elapsed, 2),
    }))


def read(stream, run_id=None):
    try:
        chunk = stream["socket"].recv(65536)
    except BlockingIOError:
        return
    if not chunk:
        stream["done"] = True
        return
    stream["buffer"] += chunk
    if not stream["headers"]:
        head, separator, rest = stream["buffer"].partition(b"\r\n\r\n")
        if not separator:
            return
        stream["headers"] = head.startswith(b"HTTP/1.1 200")
        stream["buffer"] = rest
    # Chunked transfer encoding: the frames of one event may span chunks; strip the chunk sizes.
    while True:
        size_line, separator, rest = stream["buffer"].partition(b"\r\n")
        if not separator:
            return
        size = int(size_line, 16)
        if len(rest) < size + 2:
            return
        stream.setdefault("text", b"")
        stream["text"] += rest[:size]
        stream["buffer"] = rest[size + 2:]
        while b"\n\n" in stream["text"]:
            block, _, stream["text"] = stream["text"].partition(b"\n\n")
            fields = dict(line.split(": ", 1) for line in block.decode().split("\n") if ": " in line and not line.startswith(":"))
            if "id" not in fields:
                continue
            data = json.loads(fields["data"])
            detail = data.get("step", {}).get("filename", "") + " " + data.get("step", {}).get("status", "") if data["type"] == "step" else \
                (data.get("run") or {}).get("status") if data["type"] == "end" else data["message"]
            stream["events"].append((fields["id"], data["type"], detail))
            if run_id and data["type"] == "end" and data["run_id"] == run_id:
                stream["done"] = True


if __name__ == "__main__":
    main()
