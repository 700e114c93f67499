#!/usr/bin/env python3
"""A hostile or wrong HTTP peer for the CLI's tests: it answers every
request (also proxy requests, `GET http://host/...`) with one scripted
response and records what it was sent, one JSON line per request. It
prints the port it listens on (127.0.0.1 only) and exits by itself after
a while.

usage: scripted-http-server.py LOG_FILE STATUS BODY_FILE [LIFETIME_SECONDS]
"""
import http.server
import json
import sys
import threading

log_path, status, body_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
body = open(body_path, "rb").read()


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with open(log_path, "a") as log:
            log.write(json.dumps({"method": self.command, "target": self.path, "headers": dict(self.headers)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Timer(lifetime, server.shutdown).start()
server.serve_forever()
