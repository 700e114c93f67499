#!/usr/bin/env python3
"""A TCP listener in front of a PostgreSQL Unix socket, for outage tests.

It starts "hung": it accepts connections and never answers, like a database
host that stopped responding. SIGUSR1 switches it to forwarding to the real
server (dropping the hung connections); SIGUSR2 switches it back. It prints
the port it listens on (127.0.0.1 only) and exits by itself after a while.

usage: hanging-postgres-proxy.py PORT SOCKET_DIR [LIFETIME_SECONDS]
"""
import asyncio
import signal
import sys

port = int(sys.argv[1])
socket_path = sys.argv[2].rstrip("/") + "/.s.PGSQL.5432"
lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
state = {"forward": False}
hung = set()


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    if not state["forward"]:
        hung.add(writer)
        return
    try:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(socket_path)
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


def forward():
    state["forward"] = True
    for writer in list(hung):
        writer.close()
    hung.clear()


def hang():
    state["forward"] = False


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, forward)
    loop.add_signal_handler(signal.SIGUSR2, hang)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(lifetime)


asyncio.run(main())
