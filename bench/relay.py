#!/usr/bin/env python3
"""A loopback TCP relay for the benchmarks (never used by the tests).

    relay.py --listen-port-file F --to HOST:PORT [--tls CERT KEY]
             [--delay-ms N] [--connect]

Listens on 127.0.0.1 (a free port, written to F once listening) and relays
every connection to HOST:PORT, keeping it open as long as the client does.

--tls CERT KEY  terminate TLS here (a TLS front for moto_server).
--delay-ms N    hold every chunk N ms in each direction: a link with a round
                trip of 2N ms. Chunks keep their order and are not serialised
                behind each other's delay (a pipe, not a queue of sleeps).
--http          speak HTTP/1.1 to the client and keep its connection open
                across requests: each request goes to --to on a connection
                of its own (moto_server answers `Connection: close` and
                closes), and that header is dropped from the answer. So a
                client that reuses connections makes one TLS handshake.
--connect       act as an HTTP CONNECT proxy: answer `CONNECT host:port` with
                200 and then relay to --to, whatever host was named (so a
                client can ask for sts.us-east-1.amazonaws.com and reach the
                local TLS front; the test CA's certificate names that host).
                The CONNECT exchange crosses the delayed link too.

Counts connections and writes `connections N` to F.count on each new one.
"""

import argparse
import asyncio
import os
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-port-file", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--connect", action="store_true")
    ap.add_argument("--http", action="store_true")
    a = ap.parse_args()
    host, port = a.to.rsplit(":", 1)
    asyncio.run(serve(a, host, int(port)))


async def serve(a, host, port):
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    delay = a.delay_ms / 1000.0
    count = 0

    async def handle(reader, writer):
        nonlocal count
        count += 1
        with open(a.listen_port_file + ".count", "w") as f:
            f.write(f"connections {count}\n")
        try:
            if a.connect:
                head = await delayed_read_head(reader, delay)
                if not head.startswith(b"CONNECT "):
                    writer.close()
                    return
                await send_later(writer, b"HTTP/1.1 200 Connection established\r\n\r\n", delay)
            if a.http:
                await http_front(reader, writer, host, port)
                return
            up_r, up_w = await asyncio.open_connection(host, port)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_w, delay), pipe(up_r, writer, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    listen = server.sockets[0].getsockname()[1]
    with open(a.listen_port_file + ".tmp", "w") as f:
        f.write(f"{listen}\n")
    os.replace(a.listen_port_file + ".tmp", a.listen_port_file)
    async with server:
        await server.serve_forever()


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


async def http_front(reader, writer, host, port):
    """One request at a time from the client, each on a new upstream connection."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, OSError, ssl.SSLError):
            break
        body = await reader.readexactly(int(header(head, b"content-length") or 0))
        up_r, up_w = await asyncio.open_connection(host, port)
        up_w.write(head + body)
        await up_w.drain()
        answer = await up_r.read()
        up_w.close()
        rhead, _, rbody = answer.partition(b"\r\n\r\n")
        lines = [
            line
            for line in rhead.split(b"\r\n")
            if line.partition(b":")[0].strip().lower() not in (b"connection", b"content-length")
        ]
        lines.append(b"Content-Length: %d" % len(rbody))
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + rbody)
        await writer.drain()
        if (header(head, b"connection") or b"").lower() == b"close":
            break
    writer.close()


async def delayed_read_head(reader, delay):
    head = await reader.readuntil(b"\r\n\r\n")
    if delay:
        await asyncio.sleep(delay)
    return head


async def send_later(writer, data, delay):
    if delay:
        await asyncio.sleep(delay)
    writer.write(data)
    await writer.drain()


async def pipe(reader, writer, delay):
    """Copy reader to writer; each chunk leaves `delay` after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        while True:
            try:
                data = await reader.read(65536)
            except (OSError, ssl.SSLError):
                data = b""
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    writer.close()
                except OSError:
                    pass
                return
            try:
                writer.write(data)
                await writer.drain()
            except (OSError, ssl.SSLError):
                return

    await asyncio.gather(receive(), send())


if __name__ == "__main__":
    main()
