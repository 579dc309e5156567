"""Slow links for tests: a throttling TCP relay per phone, and a phone that stalls.

A :class:`Link` forwards bytes at a set rate each way, each byte arriving ``latency`` seconds
after it was sent, from a source address of its own (127.0.0.0/8 is all loopback on Linux),
so the server sees one address per phone. All links run on one asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

CHUNK = 1024


@dataclass
class Link:
    """A phone's connection to the network: ``port`` is where the phone connects."""

    target: tuple[str, int]
    up_rate: float  # bytes per second, phone → server
    down_rate: float  # bytes per second, server → phone
    latency: float  # seconds, each way
    source: str = "127.0.0.1"
    port: int = 0
    up_bytes: int = 0  # forwarded towards the server so far
    up_first: float | None = None  # time.monotonic() of the first byte forwarded up
    up_last: float | None = None
    _server: asyncio.AbstractServer | None = field(default=None, repr=False)

    def slow_down(self, up_rate: float, down_rate: float, latency: float) -> None:
        """The phone walks out of the wifi: new connections get these, counters restart."""
        self.up_rate, self.down_rate, self.latency = up_rate, down_rate, latency
        self.up_bytes, self.up_first, self.up_last = 0, None, None

    def uploading_for(self) -> float:
        """Seconds between the first and the last byte forwarded towards the server."""
        if self.up_first is None or self.up_last is None:
            return 0.0
        return self.up_last - self.up_first

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                *self.target, local_addr=(self.source, 0)
            )
        except OSError:
            writer.close()
            return
        up = asyncio.create_task(self._pipe(reader, up_writer, True))
        down = asyncio.create_task(self._pipe(up_reader, writer, False))
        try:
            # The server's answer ends the exchange (it closes after answering, or the
            # phone does after reading); either way both sides are closed.
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.wait({up, down}, timeout=0.5)
        except asyncio.CancelledError:
            pass  # the test is over (Links.close)
        finally:
            for task in (up, down):
                task.cancel()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upward: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=16)

        async def receive() -> None:
            try:
                while chunk := await src.read(CHUNK):
                    await queue.put((loop.time(), chunk))
            except OSError:
                pass
            await queue.put((loop.time(), b""))

        receiving = asyncio.create_task(receive())
        free_at = 0.0
        try:
            while True:
                sent_at, chunk = await queue.get()
                if not chunk:
                    break
                start = max(sent_at + self.latency, free_at, loop.time())
                free_at = start + len(chunk) / (self.up_rate if upward else self.down_rate)
                await asyncio.sleep(free_at - loop.time())
                dst.write(chunk)
                await dst.drain()
                if upward:
                    now = time.monotonic()
                    self.up_first = self.up_first or now
                    self.up_last = now
                    self.up_bytes += len(chunk)
            if dst.can_write_eof():
                dst.write_eof()
        except OSError:
            pass
        finally:
            receiving.cancel()


class Links:
    """The event loop (in a thread) that carries every :class:`Link` of a test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.links: list[Link] = []

    def open(self, link: Link) -> Link:
        async def start() -> None:
            link._server = await asyncio.start_server(link._serve, "127.0.0.1", 0)
            link.port = link._server.sockets[0].getsockname()[1]

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.links.append(link)
        return link

    def close(self) -> None:
        async def stop() -> None:
            for link in self.links:
                if link._server is not None:
                    link._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def stalling_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    gate: threading.Event,
    cafile: str | None = None,
    hold: int = 1024,
    timeout: float = 120,
) -> Answer:
    """One HTTP/1.1 request from a phone whose upload stalls ``hold`` bytes before its end
    until ``gate`` is set (a link that goes quiet, as 2G links do). Over TLS if ``cafile``."""
    sock: socket.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if cafile is not None:
        context = ssl.create_default_context(cafile=cafile)
        sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
    with sock:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        start = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        cut = max(len(body) - hold, 0)
        sock.sendall(start + body[:cut])
        if not gate.wait(timeout):
            raise TimeoutError("the gate was never opened")
        sock.sendall(body[cut:])
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, response.headers, response.read())


def cut_while_stalled(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes, *, timeout: float
) -> bytes | None:
    """Send all of a request but its last KB, then wait: return what the server sent before
    closing the connection (``b""``: nothing at all), or None if it kept waiting."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body[:-1024])
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return None
        except ConnectionResetError:
            pass
        return received
