"""Field-app benchmark: the PWA at ``/app/`` in real headless Chromium, against the real
server, measured the way a cheap phone on 2G pays for it (issue 5, "Light").

    .venv/bin/python bench/pwa_bench.py [--runs N] [--backlog N] [--quick]

Set-up: a fresh SQLite database in a temp dir, migrated and seeded with the app's own CLI
(``db upgrade``, ``seed-catalogue``, ``seed-demo`` — what ``make demo`` does), then gunicorn
started as the Procfile does (``bench/sync_bench.py``'s ``Server``). The first branch member
the demo prints is the person on the phone. Chromium is Debian's (``/usr/bin/chromium``),
driven by Playwright, service workers allowed, a 360×640 phone context; every scenario
starts on a fresh profile (a new incognito context: no HTTP cache, no worker, no IndexedDB).

What is measured:

1. First visit of ``/app/``, unthrottled: every byte the page and its service worker fetch
   until the worker is activated, controls the page and its install fetches are finished
   (the network is quiet). Split into the page's own fetches, the worker's (its precache)
   and the API (none is expected before sign-in). Budget: ≤ 100 kB (100,000 bytes).
2. Repeat visit: a reload, then a new page in the same context. Bytes that still cross the
   network; responses the service worker answers are not counted. Budget: 0 for the shell.
3. Time until the sign-in screen is interactive, from navigation start, on a fresh profile
   under emulated 2G (800 ms latency, 280 kbit/s down, 256 kbit/s up) and slow 2G (2,000 ms,
   50 kbit/s both ways): the username input is present and enabled and, when the app marks
   it (``document.body.dataset.ready = "1"`` at the end of its first render), the module
   has run. Also: when the page became offline-ready (the service worker took control).
   ``--runs`` times each; min / median / max. Budget: 2G ≤ 5 s.
4. A 500-entry backlog pushed on 2G: sign in unthrottled, go offline
   (``context.set_offline``), queue the entries through the app's own store module
   (``/app/js/shared/db.js``: ``saveLocal(record, mutation)``, the call the entry form makes),
   throttle to 2G, go online, press "Đồng bộ", and time until IndexedDB's ``outbox`` is
   empty (and until the status line says the whole sync, pull included, is done), both
   from the page's ``online`` event. Chromium can fire ``online`` a moment before the
   network is usable; a push failing then is listed, not counted in bytes, and "Đồng bộ"
   is pressed again (its time stays in the figure). The server's database is then
   checked: exactly those 500 activities, once each.
5. The same with 200 entries whose descriptions are 3,000 characters of Vietnamese-like
   text (about 230 KB gzipped in all, issue 11's "long descriptions") on a GPRS-class link
   (800 ms, 80 kbit/s down, 50 kbit/s up): the phone sizes its pushes for the link, so
   this shows how many pushes, of what size, and how long until the outbox is empty;
   behind gunicorn's 30 s worker time-out, as deployed by the Procfile.

How bytes are counted, and why two ways:

* CDP (what the issue asks for): ``Network.loadingFinished.encodedDataLength`` — bytes
  received for a response, headers included, as compressed on the wire — from the page
  and from its service worker. The worker has its own target: it is reached by
  ``Target.setAutoAttach`` on the page's session (``flatten: false``; the worker is held at
  start until it is given ``Network.enable`` and the same throttle, so none of its install
  fetches is missed). A response with ``fromServiceWorker: true`` in
  ``Network.responseReceived`` was answered by the worker: it counts as no network bytes.
  Bytes up for a request: its request line and headers as sent
  (``Network.requestWillBeSentExtraInfo``) plus its body as sent — the ``Content-Length``
  header there, i.e. the gzip size when the app compressed the body with CompressionStream
  (falling back to the decoded ``postDataEntries`` of ``Network.requestWillBeSent``).
* The wire: Chromium talks to gunicorn through a counting TCP relay in this script, so
  every byte each way is counted at the socket (headers and compressed bodies; no TCP/IP
  overhead). Connections are kept alive (gunicorn runs with deploy/gunicorn.conf.py, as the
  Procfile does: gthread workers, keepalive 75 s); a connection carries several requests,
  told apart because a browser never pipelines. This also sees what CDP reports poorly:
  the worker's own script (``sw.js``), fetched by the browser process, shows only its
  headers in CDP.

Caveats: Chromium throttles each target on its own, so the page and the worker do not
share one 280 kbit/s link as they would on a phone (they overlap only after the sign-in
screen is up, while the worker precaches). Latency is CDP's per-request figure, not a
real radio's. Nothing here asserts a time: budgets are printed as PASS/MISS; the exit
status is 1 only when the backlog did not arrive exactly once.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync_bench import BIN, HOST, Server, cpu_model, free_port, run, sh  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The phone of tests/e2e/conftest.py (Playwright's "Moto G4").
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 10; Moto G4) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36",
}
# Selectors that hold across versions of the app (ids have changed between them).
USERNAME = "input[autocomplete=username]"
PASSWORD = "input[type=password]"
SUBMIT = f"form:has({USERNAME}) button[type=submit]"
SYNCED_TEXT = "Đã đồng bộ"

BUDGET_FIRST_VISIT = 100_000  # bytes ("100 kB")
BUDGET_REPEAT_SHELL = 0
BUDGET_2G_INTERACTIVE_S = 5.0
BUDGET_2G_OFFLINE_READY_S = 5.0


class DeployedServer(Server):
    """gunicorn as the Procfile starts it (``-c deploy/gunicorn.conf.py``: gthread workers
    that keep connections alive), on a free port: what a phone meets, less nginx."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log = open(log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "server:create_app()"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"{HOST}:{self.port}"},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()


@dataclass(frozen=True)
class Throttle:
    """One emulated link, in the units of ``Network.emulateNetworkConditions``."""

    name: str
    latency_ms: float
    down_kbit: float
    up_kbit: float

    def cdp(self) -> dict[str, Any]:
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.down_kbit * 1024 / 8,
            "uploadThroughput": self.up_kbit * 1024 / 8,
        }

    def label(self) -> str:
        return f"{self.name} ({self.latency_ms:.0f} ms, {self.down_kbit:g}/{self.up_kbit:g} kbit/s)"


TWO_G = Throttle("2G", 800, 280, 256)
SLOW_2G = Throttle("slow-2G", 2000, 50, 50)
# Issue 11's field link near the border: the upload is what a push waits for.
GPRS = Throttle("GPRS", 800, 80, 50)
UNTHROTTLED = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


# -- the wire: a counting relay in front of gunicorn ----------------------------------------


@dataclass
class Wire:
    """One request through the relay (a kept-alive connection carries several)."""

    started: float
    line: str = ""
    up: int = 0
    down: int = 0
    ended: float | None = None

    @property
    def path(self) -> str:
        parts = self.line.split(" ")
        return urlsplit(parts[1]).path if len(parts) > 1 else ""


class WireTap:
    """A TCP relay that counts the bytes of every connection, each way, at the socket.

    CDP's figures come from inside Chromium and miss some fetches (the service worker's own
    script); this is the server's view, the one a phone's data plan sees (less TCP/IP)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.wires: list[Wire] = []
        self.last_activity = time.monotonic()
        self.server = socket.create_server((HOST, 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        # gunicorn is reached only once the request's first bytes are here, as a buffering
        # proxy in front of it would: Chromium opens spare connections ahead of need, and
        # each idle one would hold one of the two sync workers until its 30 s time-out.
        try:
            first = client.recv(65536)
        except OSError:
            first = b""
        if not first:
            client.close()
            return
        # Connections are kept alive (gunicorn's gthread workers, as deployed): several
        # requests share one. Browsers do not pipeline, so bytes going up after an answer
        # began coming down are the next request: each request is its own Wire.
        current: list[Wire] = []
        head = bytearray()

        def count(data: bytes, up: bool) -> None:
            with self.lock:
                now = time.monotonic()
                self.last_activity = now
                wire = current[-1] if current else None
                if not up:
                    if wire is not None:
                        wire.down += len(data)
                    return
                if wire is None or wire.down:
                    if wire is not None:
                        wire.ended = now
                    wire = Wire(started=now)
                    current.append(wire)
                    self.wires.append(wire)
                    head.clear()
                wire.up += len(data)
                if not wire.line and len(head) < 8192:
                    head.extend(data)
                    if b"\r\n" in head:
                        wire.line = head.split(b"\r\n", 1)[0].decode("latin-1")

        count(first, up=True)
        try:
            upstream = socket.create_connection((HOST, self.upstream_port))
            upstream.sendall(first)
        except OSError:
            client.close()
            with self.lock:
                current[-1].ended = time.monotonic()
            return

        def pump(src: socket.socket, dst: socket.socket, up: bool) -> None:
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                count(data, up)
                try:
                    dst.sendall(data)
                except OSError:
                    break
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        down = threading.Thread(target=pump, args=(upstream, client, False), daemon=True)
        down.start()
        pump(client, upstream, True)
        down.join()
        client.close()
        upstream.close()
        with self.lock:
            current[-1].ended = self.last_activity = time.monotonic()

    def mark(self) -> int:
        with self.lock:
            return len(self.wires)

    def since(self, mark: int) -> list[Wire]:
        """Requests made since ``mark`` (connections that never sent a byte are not kept)."""
        with self.lock:
            return list(self.wires[mark:])

    def busy(self) -> bool:
        """A request is waiting for its answer (an idle kept-alive connection is not busy;
        an answer still arriving keeps ``last_activity`` fresh)."""
        with self.lock:
            return any(w.ended is None and not w.down for w in self.wires)

    def close(self) -> None:
        self.server.close()


# -- CDP: the page's network and its service worker's --------------------------------------


@dataclass
class Req:
    """One request as Chromium reports it over CDP."""

    target: str  # "page" or the worker's type ("service_worker")
    started: float
    url: str = ""
    method: str = "GET"
    sent_at: float | None = None  # the browser's clock (s), from requestWillBeSent
    ended_at: float | None = None
    from_sw: bool = False
    status: int | None = None
    encoded: int = 0
    done: bool = False
    failed: str | None = None
    header_bytes: int | None = None
    content_length: int | None = None
    post_len: int | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def network_down(self) -> int:
        """Bytes received from the network: none for what the service worker answered."""
        return 0 if self.from_sw else self.encoded

    @property
    def up(self) -> int:
        if self.from_sw:
            return 0
        body = self.content_length if self.content_length is not None else (self.post_len or 0)
        return (self.header_bytes or 0) + body


class NetLog:
    """Requests of one page and of the workers attached under it, in the order seen."""

    def __init__(self) -> None:
        self.reqs: dict[tuple[str, str], Req] = {}
        self.order: list[Req] = []
        self.last_activity = time.monotonic()

    def _req(self, session: str, target: str, request_id: str) -> Req:
        key = (session, request_id)
        if key not in self.reqs:
            self.reqs[key] = Req(target=target, started=time.monotonic())
            self.order.append(self.reqs[key])
        return self.reqs[key]

    def handle(self, session: str, target: str, method: str, params: dict[str, Any]) -> None:
        if "requestId" not in params:
            return
        self.last_activity = time.monotonic()
        r = self._req(session, target, params["requestId"])
        if method == "Network.requestWillBeSent":
            request = params["request"]
            r.url, r.method = request["url"], request["method"]
            r.sent_at = params.get("timestamp")
            if request.get("postDataEntries"):
                # base64 of the body's bytes as sent (gzip stays gzip): exact.
                r.post_len = sum(
                    len(base64.b64decode(e.get("bytes", ""))) for e in request["postDataEntries"]
                )
            elif "postData" in request:
                r.post_len = len(request["postData"].encode())
        elif method == "Network.requestWillBeSentExtraInfo":
            headers: dict[str, str] = params.get("headers", {})
            # "METHOD /path HTTP/1.1\r\n" + "Name: value\r\n"… + "\r\n"; the request line is
            # added once the URL is known (in summaries), via header_bytes only here.
            r.header_bytes = sum(len(k) + len(v) + 4 for k, v in headers.items()) + 2
            for k, v in headers.items():
                if k.lower() == "content-length" and v.isdigit():
                    r.content_length = int(v)
        elif method == "Network.responseReceived":
            response = params["response"]
            r.url = r.url or response["url"]
            r.status = response["status"]
            r.from_sw = bool(response.get("fromServiceWorker"))
        elif method == "Network.loadingFinished":
            r.encoded, r.done = int(params.get("encodedDataLength", 0)), True
            r.ended_at = params.get("timestamp")
        elif method == "Network.loadingFailed":
            r.failed, r.done = params.get("errorText", "failed"), True
            r.ended_at = params.get("timestamp")

    def pending(self) -> int:
        return sum(1 for r in self.order if not r.done)

    def mark(self) -> int:
        return len(self.order)

    def since(self, mark: int) -> list[Req]:
        return [r for r in self.order[mark:] if r.url and not r.url.startswith("data:")]


NETWORK_EVENTS = (
    "Network.requestWillBeSent",
    "Network.requestWillBeSentExtraInfo",
    "Network.responseReceived",
    "Network.loadingFinished",
    "Network.loadingFailed",
)


class Tap:
    """A CDP session on one page, with the page's workers auto-attached under it.

    The service worker is a target of its own: its precache fetches are not the page's.
    ``waitForDebuggerOnStart`` holds a new worker until it has ``Network.enable`` and the
    throttle, so its first fetch is already counted and slowed like the page's."""

    def __init__(self, context: Any, page: Any, log: NetLog, throttle: Throttle | None) -> None:
        self.log = log
        self.conditions = throttle.cdp() if throttle else None
        self.children: dict[str, str] = {}  # sessionId -> target type
        self._id = 0
        self.cdp = context.new_cdp_session(page)
        key = f"page-{id(page)}"
        for name in NETWORK_EVENTS:
            self.cdp.on(name, self._page_handler(key, name))
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._message)
        self.cdp.send("Network.enable")
        if self.conditions:
            self.cdp.send("Network.emulateNetworkConditions", self.conditions)
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
        )

    def _page_handler(self, key: str, name: str) -> Callable[[dict[str, Any]], None]:
        return lambda params: self.log.handle(key, "page", name, params)

    def _send_child(self, session: str, method: str, params: dict[str, Any] | None = None) -> None:
        self._id += 1
        message = json.dumps({"id": self._id, "method": method, "params": params or {}})
        try:
            self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": message})
        except Exception:  # noqa: BLE001 - a worker that went away meanwhile
            pass

    def _attached(self, params: dict[str, Any]) -> None:
        session, kind = params["sessionId"], params["targetInfo"]["type"]
        self.children[session] = kind
        self._send_child(session, "Network.enable")
        if self.conditions:
            self._send_child(session, "Network.emulateNetworkConditions", self.conditions)
        self._send_child(session, "Runtime.runIfWaitingForDebugger")

    def _message(self, params: dict[str, Any]) -> None:
        message = json.loads(params["message"])
        method = message.get("method")
        if method in NETWORK_EVENTS:
            session = params["sessionId"]
            kind = self.children.get(session, "worker")
            self.log.handle(session, kind, method, message.get("params", {}))

    def throttle(self, throttle: Throttle | None) -> None:
        """Change the link of the page and of every attached worker."""
        self.conditions = throttle.cdp() if throttle else None
        conditions = self.conditions or UNTHROTTLED
        self.cdp.send("Network.emulateNetworkConditions", conditions)
        for session in self.children:
            self._send_child(session, "Network.emulateNetworkConditions", conditions)

    def detach(self) -> None:
        """Detach (CDP sessions left on a page confuse ``navigator.onLine``, see the recipe)."""
        try:
            self.cdp.detach()
        except Exception:  # noqa: BLE001 - the page is already gone
            pass


# -- driving the page -----------------------------------------------------------------------

# Runs before the page's own scripts, on every document: timestamps (ms since navigation
# start) of the sign-in screen becoming interactive and of the service worker taking
# control. A MutationObserver sees the screen the moment the module draws it; polling from
# Python would add its own latency.
MARKS = r"""
(() => {
  const NEED_READY = %(need_ready)s;
  const check = () => {
    if (window.__benchInteractive) return true;
    const input = document.querySelector(%(username)s);
    if (!input || input.disabled) return false;
    if (NEED_READY && (!document.body || document.body.dataset.ready !== "1")) return false;
    window.__benchInteractive = performance.now();
    return true;
  };
  const watch = new MutationObserver(() => { if (check()) watch.disconnect(); });
  watch.observe(document, { subtree: true, childList: true, attributes: true });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      window.__benchControlled = window.__benchControlled || performance.now();
    });
  }
})();
"""

CONTROLLED = """async () => {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
  const reg = await navigator.serviceWorker.getRegistration();
  return !!(reg && reg.active && reg.active.state === "activated")
    && (await caches.keys()).length > 0;
}"""


def until(page: Any, expression: str, timeout_s: float, arg: Any = None, step_ms: int = 100) -> Any:
    """Poll ``expression`` in the page until truthy; return its value. (The app's CSP
    forbids ``wait_for_function``'s string evaluation, as it should.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"never true within {timeout_s:.0f} s: {expression[:120]}")
        page.wait_for_timeout(step_ms)


def settle(
    page: Any, log: NetLog, tap: WireTap, quiet_s: float = 1.0, timeout_s: float = 120
) -> None:
    """Wait until nothing is in flight, in Chromium or on the wire, for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        idle = time.monotonic() - max(log.last_activity, tap.last_activity)
        if idle >= quiet_s and not log.pending() and not tap.busy():
            return
    raise TimeoutError("the network never went quiet")


def new_phone(browser: Any, need_ready: bool) -> Any:
    context = browser.new_context(**PHONE, service_workers="allow")
    context.add_init_script(
        MARKS % {"need_ready": "true" if need_ready else "false", "username": json.dumps(USERNAME)}
    )
    return context


# -- figures --------------------------------------------------------------------------------


@dataclass
class Bytes:
    """A set of requests summed, as CDP saw them and as the wire did."""

    requests: int = 0
    cdp_down: int = 0
    cdp_up: int = 0
    wire_requests: int = 0
    wire_down: int = 0
    wire_up: int = 0
    served_by_sw: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def cdp_total(self) -> int:
        return self.cdp_down + self.cdp_up

    @property
    def wire_total(self) -> int:
        return self.wire_down + self.wire_up


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def tally(
    reqs: list[Req], wires: list[Wire], keep: Callable[[str], bool], target: str | None = None
) -> Bytes:
    """Sum the requests whose path ``keep`` accepts (and, for CDP, from ``target``)."""
    b = Bytes()
    for r in reqs:
        if not keep(r.path) or (target is not None and r.target != target):
            continue
        if r.from_sw:
            b.served_by_sw += 1
            continue
        if r.failed:
            b.failed.append(f"{r.method} {r.path}: {r.failed}")
            continue
        b.requests += 1
        b.cdp_down += r.network_down
        if r.header_bytes is not None:
            b.cdp_up += r.up + len(f"{r.method} {r.path} HTTP/1.1\r\n")
        else:
            b.cdp_up += r.up
    for w in wires:
        if keep(w.path):
            b.wire_requests += 1
            b.wire_down += w.down
            b.wire_up += w.up
    return b


def timeline(reqs: list[Req]) -> list[str]:
    """The requests, one line each, timed from the first one (the browser's clock)."""
    timed = [r for r in reqs if r.sent_at is not None and not r.from_sw]
    if not timed:
        return []
    zero = min(r.sent_at for r in timed if r.sent_at is not None)
    lines = []
    for r in timed:
        start = (r.sent_at or zero) - zero
        end = f"{r.ended_at - zero:6.2f}" if r.ended_at is not None else "   ?  "
        what = r.failed or f"HTTP {r.status}, {r.up:,} B up, {r.encoded:,} B down"
        lines.append(f"{start:6.2f} → {end} s  {r.method} {r.path}  {what}")
    return lines


def unseen(reqs: list[Req], wires: list[Wire]) -> list[Wire]:
    """Requests on the wire that CDP reported for neither the page nor its worker: the
    browser's own fetches (the worker's script and its imports, and their update checks)."""
    reported: dict[str, int] = {}
    for r in reqs:
        if not r.from_sw and not r.failed:
            reported[r.path] = reported.get(r.path, 0) + 1
    out = []
    for w in wires:
        if reported.get(w.path, 0) > 0:
            reported[w.path] -= 1
        else:
            out.append(w)
    return out


def heaviest(wires: list[Wire], top: int = 8) -> list[tuple[str, int, int]]:
    """(path, times fetched over the network, bytes down on the wire), heaviest first."""
    seen: dict[str, list[int]] = {}
    for w in wires:
        entry = seen.setdefault(w.path, [0, 0])
        entry[0] += 1
        entry[1] += w.down
    rows = [(path, n, down) for path, (n, down) in seen.items()]
    return sorted(rows, key=lambda r: -r[2])[:top]


@dataclass
class Visit:
    """What one visit cost: total, by origin of the fetch, and the heaviest files."""

    all: Bytes
    page_shell: Bytes
    worker: Bytes
    api: Bytes
    interactive_ms: float | None
    heavy: list[tuple[str, int, int]] = field(default_factory=list)
    browser_only: list[Wire] = field(default_factory=list)


def summarise(reqs: list[Req], wires: list[Wire], interactive_ms: float | None) -> Visit:
    def shell(path: str) -> bool:
        return not is_api(path)

    return Visit(
        all=tally(reqs, wires, lambda _: True),
        page_shell=tally(reqs, [], shell, target="page"),
        worker=tally([r for r in reqs if r.target != "page"], [], shell),
        api=tally(reqs, [w for w in wires if is_api(w.path)], is_api),
        interactive_ms=interactive_ms,
        heavy=heaviest(wires),
        browser_only=unseen(reqs, wires),
    )


# -- scenarios ------------------------------------------------------------------------------


def scenario_visits(
    browser: Any, base: str, tap: WireTap, need_ready: bool
) -> tuple[Visit, Visit, Visit]:
    """1 and 2: a first visit on a fresh profile, then a reload and a new page."""
    context = new_phone(browser, need_ready)
    try:
        page = context.new_page()
        log = NetLog()
        cdp = Tap(context, page, log, None)
        wire0, log0 = tap.mark(), log.mark()
        page.goto(base + "/app/")
        until(page, CONTROLLED, 60)
        settle(page, log, tap)
        first = summarise(
            log.since(log0), tap.since(wire0), page.evaluate("window.__benchInteractive || null")
        )

        wire0, log0 = tap.mark(), log.mark()
        page.reload()
        until(page, "window.__benchInteractive || null", 60)
        settle(page, log, tap)
        reload = summarise(
            log.since(log0), tap.since(wire0), page.evaluate("window.__benchInteractive")
        )
        cdp.detach()

        second = context.new_page()
        log2 = NetLog()
        cdp2 = Tap(context, second, log2, None)
        wire0 = tap.mark()
        second.goto(base + "/app/")
        until(second, "window.__benchInteractive || null", 60)
        settle(second, log2, tap)
        new_page = summarise(
            log2.since(0), tap.since(wire0), second.evaluate("window.__benchInteractive")
        )
        cdp2.detach()
        return first, reload, new_page
    finally:
        context.close()


@dataclass
class Startup:
    interactive_s: float
    controlled_s: float | None
    page_bytes: int
    worker_bytes: int
    timeline: list[str] = field(default_factory=list)


def scenario_startup(
    browser: Any, base: str, tap: WireTap, throttle: Throttle, need_ready: bool, ready_s: float
) -> Startup:
    """3: fresh profile, throttled from the first byte; time to an interactive sign-in
    screen, then (up to ``ready_s`` more) until the service worker controls the page."""
    context = new_phone(browser, need_ready)
    try:
        page = context.new_page()
        log = NetLog()
        cdp = Tap(context, page, log, throttle)
        page.goto(base + "/app/", wait_until="commit", timeout=300_000)
        interactive = until(page, "window.__benchInteractive || null", 300, step_ms=50)
        controlled = None
        try:
            controlled = until(page, "window.__benchControlled || null", ready_s, step_ms=50)
            until(page, CONTROLLED, 30)
        except TimeoutError:
            pass
        reqs = log.since(0)
        cdp.detach()
        return Startup(
            interactive_s=interactive / 1000,
            controlled_s=controlled / 1000 if controlled else None,
            page_bytes=sum(r.network_down for r in reqs if r.target == "page"),
            worker_bytes=sum(r.network_down for r in reqs if r.target != "page"),
            timeline=timeline([r for r in reqs if r.target == "page"]),
        )
    finally:
        context.close()


PLACES = [
    "UBND xã Trường Hà",
    "Nhà văn hoá xóm Nà Mạ",
    "Trường tiểu học Cốc Lùng",
    "Trạm y tế xã Lũng Nặm",
    "Chợ phiên Hà Quảng",
    "Sân thể thao xóm Lũng Rì",
    "Đồn Biên phòng Sóc Giang",
    "Điểm trường Pác Bó",
]
TITLES = [
    "Hỗ trợ làm hồ sơ đất đai cho bà con",
    "Tư vấn pháp luật tại nhà văn hoá",
    "Làm đường giao thông nông thôn",
    "Trồng cây xanh ven đường liên xóm",
    "Dọn vệ sinh môi trường khu chợ",
    "Khám bệnh miễn phí cho người cao tuổi",
    "Hỗ trợ kích hoạt định danh điện tử",
    "Hướng dẫn dịch vụ công trực tuyến",
]
DESCRIPTIONS = [
    "",
    "",
    "Phối hợp với công an xã và Hội Phụ nữ.",
    "Đoàn viên chia thành ba tổ, làm từ sáng đến chiều; bà con tham gia đông.",
]


# Vietnamese-looking words (initial × rhyme, with tones): text that gzip shrinks about as
# much as a real account of an activity, not a repeated sentence it would wipe out.
INITIALS = "b c ch d đ g h kh l m n ng nh ph t th tr v x".split()
RHYMES = "a à á ạ an ào âm ên iêu inh ông ơi ua ước ương ứ ay ối".split()


def long_description(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(INITIALS) + rng.choice(RHYMES))
        if rng.random() < 0.08:
            words[-1] += "."
    return " ".join(words)[:chars]


def make_entries(
    n: int,
    unit_id: int,
    types: list[dict[str, Any]],
    rng: random.Random,
    description_chars: int = 0,
) -> list[dict[str, Any]]:
    """``n`` whole activity records (PROTOCOL.md §3) a branch member could have typed over
    the last two months, each with its id, varied the way real entries vary (with
    ``description_chars`` of account each, when given)."""
    zone = timezone(timedelta(hours=7))
    today = datetime.now(zone).date()
    out = []
    for i in range(n):
        kind = types[i % len(types)]
        starts = today - timedelta(days=rng.randint(1, 60))
        quantities: dict[str, Any] = {}
        for q in kind.get("quantities") or []:
            if rng.random() < 0.5:
                continue
            if q.get("kind") == "count":
                quantities[q["code"]] = rng.randint(0, 60)
            elif q.get("kind") == "money_vnd":
                quantities[q["code"]] = rng.randint(0, 20) * 100_000
            elif q.get("kind") == "decimal":
                quantities[q["code"]] = round(rng.uniform(0, 10), 1)
        members = rng.randint(3, 30)
        typed = datetime.combine(starts, datetime.min.time(), zone) + timedelta(
            hours=rng.randint(8, 20), minutes=rng.randint(0, 59)
        )
        out.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "typed_at": typed.isoformat(),
                "record": {
                    "unit_id": unit_id,
                    "type": kind["code"],
                    "title": rng.choice(TITLES),
                    "starts_on": starts.isoformat(),
                    "ends_on": min(
                        today, starts + timedelta(days=rng.choice([0, 0, 1]))
                    ).isoformat(),
                    "place": rng.choice(PLACES),
                    "members_count": members,
                    "citizens_served": rng.randint(0, 200),
                    "volunteer_hours": f"{members * rng.choice([2, 3, 4]):.1f}",
                    "quantities": quantities,
                    "description": (
                        long_description(rng, description_chars)
                        if description_chars
                        else rng.choice(DESCRIPTIONS)
                    ),
                    "status": "submitted",
                    "recorded_at": typed.isoformat(),
                },
            }
        )
    return out


# What the phone knows after signing in: its unit and the catalogue (PROTOCOL.md §5).
READ_SESSION = """async () => {
  const db = await import('/app/js/shared/db.js');
  const session = await db.getMeta('session');
  const reference = await db.getMeta('reference');
  const types = (reference.activity_types || []).filter((t) => t.active !== false);
  return { unit_id: session.user.unit_id, types };
}"""

# Queue the entries through the app's own outbox, as the entry form does: a record marked
# pending and its outbox entry, numbered, in one transaction.
QUEUE = """async (entries) => {
  const outbox = await import('/app/js/shared/outbox.js');
  for (const e of entries) await outbox.queueUpsert({ id: e.id, version: 0, ...e.record });
}"""

OUTBOX_COUNT = """() => new Promise((ok, ko) => {
  const open = indexedDB.open('sodoan');
  open.onerror = () => ko(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const req = db.transaction('outbox').objectStore('outbox').count();
    req.onsuccess = () => { db.close(); ok(req.result); };
    req.onerror = () => { db.close(); ko(req.error); };
  };
})"""

# Timestamps (page clock, ms): the outbox empty, then the status line saying the whole
# sync (push, pull of what came back, conflicts) is done.
DRAIN = (
    """([synced, limitMs]) => { window.__benchDrain = null; (async () => {
  const count = """
    + OUTBOX_COUNT
    + """;
  const start = performance.now();
  let empty = null;
  while (performance.now() - start < limitMs) {
    if (empty === null && (await count()) === 0) empty = performance.now();
    if (empty !== null) {
      const text = document.querySelector('#status')?.textContent || '';
      if (text.includes(synced)) return { empty, done: performance.now() };
    }
    await new Promise(r => setTimeout(r, 25));
  }
  return { empty, done: null };
})().then((marks) => { window.__benchDrain = marks; }); }"""
)

REJECTED = """async (ids) => {
  const db = await import('/app/js/shared/db.js');
  const wanted = new Set(ids);
  const records = await db.all('records');
  return records.filter(r => wanted.has(r.id) && (r._rejected || r._pending)).length;
}"""

CHECK = r"""
import json, sys, uuid
from sqlalchemy import func, select
from server import create_app
from server.extensions import db
from server.models import Activity

ids = [uuid.UUID(i) for i in json.loads(open(sys.argv[1]).read())]
app = create_app()
with app.app_context():
    count = select(func.count()).select_from(Activity)
    found = db.session.scalar(count.where(Activity.id.in_(ids)))
    total = db.session.scalar(count)
print("BENCH_CHECK " + json.dumps({"found": found, "total": total}))
"""


def server_counts(env: dict[str, str], ids_file: Path) -> dict[str, int]:
    """(activities among ``ids``, all activities), read from the server's database."""
    out = run([str(BIN / "python"), "-c", CHECK, str(ids_file)], env, "reading the database")
    line = next(x for x in out.splitlines() if x.startswith("BENCH_CHECK "))
    return json.loads(line.removeprefix("BENCH_CHECK "))


@dataclass
class Backlog:
    entries: int
    link: str
    pushes: list[int]
    signin: Bytes
    queue_s: float
    push_s: float | None
    sync_s: float | None
    push: Bytes
    pull: Bytes
    other: Bytes
    everything: Bytes
    left_on_phone: int
    found: int
    added: int
    timeline: list[str]
    browser_only: list[Wire]


def drain(page: Any, log: NetLog, timeout_s: float = 660) -> dict[str, Any]:
    """Wait for the page's drain marks. The ``online`` event can come a moment before the
    network is back (the first push then fails at once, ERR_INTERNET_DISCONNECTED); the
    app would wait out its backoff, so "Đồng bộ" is pressed again, as a person would."""
    deadline = time.monotonic() + timeout_s
    retried: Req | None = None
    while time.monotonic() < deadline:
        marks = page.evaluate("window.__benchDrain")
        if marks:
            return marks
        api = [r for r in log.order if is_api(r.path)]
        # Only when the latest attempt failed and nothing followed it.
        if api and api[-1].failed and api[-1] is not retried and not log.pending():
            retried = api[-1]
            page.wait_for_timeout(200)
            page.click("#sync")
        page.wait_for_timeout(100)
    raise TimeoutError("the backlog never drained")


def scenario_backlog(
    browser: Any,
    base: str,
    tap: WireTap,
    login: tuple[str, str],
    n: int,
    env: dict[str, str],
    tmp: Path,
    need_ready: bool,
    throttle: Throttle = TWO_G,
    description_chars: int = 0,
) -> Backlog:
    """4, 5: sign in online, queue ``n`` entries offline, push them all on ``throttle``."""
    context = new_phone(browser, need_ready)
    try:
        page = context.new_page()
        page.goto(base + "/app/")
        until(page, CONTROLLED, 60)
        page.wait_for_selector(USERNAME)
        wire0 = tap.mark()
        page.fill(USERNAME, login[0])
        page.fill(PASSWORD, login[1])
        page.click(SUBMIT)
        page.wait_for_selector(f"#status:has-text('{SYNCED_TEXT}')", timeout=120_000)
        page.wait_for_timeout(500)
        signin = tally([], tap.since(wire0), is_api)

        known = page.evaluate(READ_SESSION)
        # A seed of each scenario's own: with one seed, the GPRS scenario's first entry had
        # the 2G scenario's first id (same draws up to it), so it arrived as an edit of an
        # existing record (a conflict), and the check counted 199 of 200.
        entries = make_entries(
            n,
            known["unit_id"],
            known["types"],
            random.Random(20261128 + description_chars),
            description_chars,
        )
        ids_file = tmp / "backlog_ids.json"
        ids_file.write_text(json.dumps([e["id"] for e in entries]))
        before = server_counts(env, ids_file)
        # The app's store modules, unbundled beside the build and not precached (decision
        # 160): loaded while online, as a person at a console would.
        page.evaluate("import('/app/js/shared/outbox.js').then(() => true)")

        context.set_offline(True)
        until(page, "!navigator.onLine", 10)
        started = time.perf_counter()
        page.evaluate(QUEUE, entries)
        queue_s = time.perf_counter() - started
        waiting = page.evaluate(OUTBOX_COUNT)
        if waiting != n:
            raise RuntimeError(f"queued {n} entries, the outbox holds {waiting}")

        # The throttle goes on while the context is still offline (Playwright's offline
        # wins over it), so the very first byte of the sync already crosses 2G.
        log = NetLog()
        cdp = Tap(context, page, log, throttle)
        page.evaluate(
            "() => { window.__benchOnline = null; addEventListener('online', "
            "() => { window.__benchOnline = performance.now(); }, { once: true }); }"
        )
        wire0 = tap.mark()
        context.set_offline(False)
        clicked = page.evaluate("performance.now()")
        page.click("#sync")
        page.evaluate(DRAIN, [SYNCED_TEXT, 600_000])
        marks = drain(page, log)
        settle(page, log, tap, timeout_s=300)
        t0 = page.evaluate("window.__benchOnline") or clicked
        reqs, wires = log.since(0), tap.since(wire0)
        left = page.evaluate(REJECTED, [e["id"] for e in entries])
        cdp.detach()
    finally:
        context.close()

    after = server_counts(env, ids_file)

    def push_path(p: str) -> bool:
        return p.endswith("/sync/push")

    def pull_path(p: str) -> bool:
        return p.endswith("/sync/pull")

    return Backlog(
        entries=n,
        link=throttle.label(),
        pushes=[r.up for r in reqs if push_path(r.path) and not r.failed],
        signin=signin,
        queue_s=queue_s,
        push_s=(marks["empty"] - t0) / 1000 if marks["empty"] is not None else None,
        sync_s=(marks["done"] - t0) / 1000 if marks["done"] is not None else None,
        push=tally(reqs, wires, push_path),
        pull=tally(reqs, wires, pull_path),
        other=tally(reqs, wires, lambda p: not (push_path(p) or pull_path(p))),
        everything=tally(reqs, wires, lambda _: True),
        left_on_phone=left,
        found=after["found"] - before["found"],
        added=after["total"] - before["total"],
        timeline=timeline(reqs),
        browser_only=unseen(reqs, wires),
    )


# -- set-up ---------------------------------------------------------------------------------


@contextmanager
def demo_server() -> Iterator[tuple[Server, dict[str, str], tuple[str, str], str, Path]]:
    """A fresh SQLite database with the catalogue and the Cao Bằng demo, served by gunicorn
    in production mode. Yields (server, env, (username, password), who, temp dir)."""
    tmp = Path(tempfile.mkdtemp(prefix="sodoan_pwa_bench_"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SODOAN_ENV": "production",
    }
    env.pop("FLASK_APP", None)
    flask = [str(BIN / "flask"), "--app", "server"]
    server = None
    try:
        run([*flask, "db", "upgrade"], env, "flask db upgrade")
        run([*flask, "seed-catalogue"], env, "flask seed-catalogue")
        # The demo refuses production (as it should); the data is the same either way.
        out = run([*flask, "seed-demo"], {**env, "SODOAN_ENV": "development"}, "seed-demo")
        password = re.search(r"password: ([^)\s]+)\)", out)
        member = re.search(r"^\s+(\S+)\s+branch_member\s+(.+)$", out, re.M)
        if not password or not member:
            raise RuntimeError(f"no branch member in seed-demo's output:\n{out}")
        login = (member.group(1), password.group(1))
        who = f"{member.group(1)} (branch_member, {member.group(2).strip()})"
        server = DeployedServer(env, tmp / "gunicorn.log")
        yield server, env, login, who, tmp
    except BaseException:
        if server is not None:
            print(f"--- gunicorn log ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def app_marks_ready() -> bool:
    """Whether the app sets ``document.body.dataset.ready`` when its first render is done
    (then "interactive" waits for it; otherwise the username input alone counts)."""
    return any("dataset.ready" in p.read_text() for p in (ROOT / "pwa").rglob("*.js"))


def describe(browser_version: str) -> str:
    """Machine, browser, date and code state, so a table can be traced back to a run."""

    cpu = cpu_model()
    dirty = sh("git", "status", "--porcelain").splitlines()
    debian = sh(CHROMIUM, "--version").splitlines()
    return "\n".join(
        [
            f"pwa_bench {' '.join(sys.argv[1:]) or '(defaults)'} — "
            + time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            f"machine: {os.cpu_count()} CPUs (nproc) — {cpu}; {platform.platform()}",
            f"browser: Chromium {browser_version} ({debian[-1] if debian else CHROMIUM}), "
            f"headless; Playwright {metadata.version('playwright')}",
            f"code: {sh('git', 'rev-parse', '--short', 'HEAD')}"
            + (f" + {len(dirty)} uncommitted/untracked paths" if dirty else " (clean)"),
        ]
    )


# -- printing -------------------------------------------------------------------------------


def n(x: int) -> str:
    return f"{x:,}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def secs(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def print_row(name: str, requests: int, down: int, up: int, note: str = "") -> None:
    print(f"  {name:<46} {requests:>4} {n(down):>10} {n(up):>9}  {note}".rstrip())


def print_browser_only(wires: list[Wire]) -> None:
    if not wires:
        return
    down, up = sum(w.down for w in wires), sum(w.up for w in wires)
    print(
        f"  on the wire but in no CDP target — the browser's own fetches of the worker script "
        f"and its imports: {len(wires)} requests, {n(down)} B down, {n(up)} B up"
    )
    for w in wires:
        print(f"      {w.line}  ({n(w.down)} B down)")


def print_visit(title: str, v: Visit, budget: int, repeat: bool) -> None:
    print(f"\n{title}")
    print(f"  {'':<46} {'req':>4} {'bytes down':>10} {'bytes up':>9}")
    for name, b in (
        ("page: shell (CDP)", v.page_shell),
        ("service worker: its own fetches (CDP)", v.worker),
        ("API (CDP)", v.api),
        ("total (CDP)", v.all),
    ):
        print_row(name, b.requests, b.cdp_down, b.cdp_up)
    w = v.all
    print_row("total on the wire (gunicorn's socket)", w.wire_requests, w.wire_down, w.wire_up)
    print_browser_only(v.browser_only)
    failed = v.all.failed
    if failed:
        print(f"  failed (not counted): {'; '.join(failed)}")
    if v.page_shell.served_by_sw or v.worker.served_by_sw:
        answered = v.page_shell.served_by_sw + v.worker.served_by_sw
        print(f"  answered by the service worker (not counted): {answered} requests")
    if repeat:
        shell = v.page_shell.cdp_down + v.worker.cdp_down + v.page_shell.cdp_up + v.worker.cdp_up
        print(
            f"  budget: shell over the network (CDP, page + worker, not answered by the worker) "
            f"{n(shell)} B = {n(budget)} B: {verdict(shell <= budget)}"
        )
    else:
        measured = v.all.wire_down - v.api.wire_down
        print(
            f"  budget: first visit, bytes down on the wire (API excluded) {n(measured)} B "
            f"≤ {n(budget)} B: {verdict(measured <= budget)}  (CDP saw {n(v.all.cdp_down)} B)"
        )
    if v.interactive_ms is not None:
        print(f"  sign-in screen interactive after {v.interactive_ms / 1000:.2f} s (unthrottled)")


def print_report(
    header: str,
    who: str,
    need_ready: bool,
    visits: tuple[Visit, Visit, Visit],
    startups: dict[str, list[Startup]],
    backlogs: list[Backlog],
) -> None:
    first, reload, new_page = visits
    print("\n" + "=" * 100)
    print(header)
    print(
        "server: gunicorn -c deploy/gunicorn.conf.py (gthread, 2 workers × 4 threads, "
        f"keep-alive), SQLite, Cao Bằng demo; phone user {who}"
    )
    print(
        "interactive = sign-in username input present and enabled"
        + (" and document.body.dataset.ready === '1'" if need_ready else "")
        + ", from navigation start"
    )
    print(
        "bytes: CDP = encodedDataLength down, request line + headers + body as sent up; "
        "wire = counted at gunicorn's socket"
    )

    title = "1. First visit of /app/, fresh profile, unthrottled"
    print_visit(title, first, BUDGET_FIRST_VISIT, False)
    print("  heaviest on the wire (path, times fetched, bytes down):")
    for path, times, down in first.heavy:
        print(f"    {path:<44} ×{times}  {n(down):>8}")
    print_visit("2a. Repeat visit: reload", reload, BUDGET_REPEAT_SHELL, True)
    print_visit("2b. Repeat visit: new page, same profile", new_page, BUDGET_REPEAT_SHELL, True)

    print("\n3. Sign-in screen interactive, fresh profile, throttled (seconds from navigation)")
    print(
        f"  {'profile':<44} {'runs':>4} {'min':>7} {'median':>7} {'max':>7}  "
        f"{'offline-ready (median)':>22}  budget"
    )
    for name, runs in startups.items():
        times = [s.interactive_s for s in runs]
        ready = [s.controlled_s for s in runs if s.controlled_s is not None]
        budget = ""
        if name.startswith("2G"):
            ok = statistics.median(times) <= BUDGET_2G_INTERACTIVE_S
            budget = f"median ≤ {BUDGET_2G_INTERACTIVE_S:.0f} s: {verdict(ok)}"
            offline_ok = len(ready) == len(times) and (
                statistics.median(ready) <= BUDGET_2G_OFFLINE_READY_S
            )
            budget += f"; offline-ready ≤ {BUDGET_2G_OFFLINE_READY_S:.0f} s: {verdict(offline_ok)}"
        print(
            f"  {name:<44} {len(times):>4} {min(times):>7.2f} {statistics.median(times):>7.2f} "
            f"{max(times):>7.2f}  "
            f"{(f'{statistics.median(ready):.2f} s' if ready else 'not within limit'):>22}  "
            f"{budget}"
        )
        each = ", ".join(
            f"{s.interactive_s:.2f}/{secs(s.controlled_s)} ({n(s.page_bytes)}+"
            f"{n(s.worker_bytes)} B)"
            for s in runs
        )
        print(f"    each run: interactive/offline-ready (page+worker CDP bytes): {each}")
    for name, runs in startups.items():
        if runs and name.startswith("2G"):
            print(f"  the page's requests in the first {name} run (the waterfall):")
            for line in runs[0].timeline:
                print(f"    {line}")

    for number, b in enumerate(backlogs, start=4):
        print_backlog(number, b)


def print_backlog(number: int, b: Backlog) -> None:
    print(f"\n{number}. Backlog of {b.entries} entries pushed on {b.link}")
    print(
        f"  sign-in + first download (unthrottled): {b.signin.wire_requests} API requests, "
        f"{n(b.signin.wire_down)} B down, {n(b.signin.wire_up)} B up"
    )
    print(f"  queued offline through outbox.queueUpsert in {b.queue_s:.2f} s")
    print(f"  online → outbox empty: {secs(b.push_s)}")
    print(f"  online → status '{SYNCED_TEXT}…': {secs(b.sync_s)}  (push, pull back, conflicts)")
    print(
        f"  {'':<22} {'req':>4} {'CDP up':>10} {'CDP down':>10} {'wire':>4} "
        f"{'wire up':>10} {'wire down':>10}"
    )
    for name, x in (
        ("push", b.push),
        ("pull", b.pull),
        ("other", b.other),
        ("all", b.everything),
    ):
        print(
            f"  {name:<22} {x.requests:>4} {n(x.cdp_up):>10} {n(x.cdp_down):>10} "
            f"{x.wire_requests:>4} {n(x.wire_up):>10} {n(x.wire_down):>10}"
        )
    if b.push.wire_requests:
        print(
            f"  per entry pushed: {b.push.wire_up / b.entries:.0f} B up, "
            f"{b.push.wire_down / b.entries:.0f} B down (wire)"
        )
    print(f"  answered pushes, bytes up each (CDP): {', '.join(n(x) for x in b.pushes)}")
    print("  requests seen by CDP (times from the first one, the browser's clock):")
    for line in b.timeline:
        print(f"    {line}")
    print_browser_only(b.browser_only)
    failed = b.everything.failed
    if failed:
        print(f"  failed (not counted): {'; '.join(failed)}")
    ok = b.found == b.entries and b.added == b.entries and b.left_on_phone == 0
    print(
        f"  server database: {b.found} of the {b.entries} ids present, activities +{b.added}; "
        f"on the phone still waiting or refused: {b.left_on_phone} — {'OK' if ok else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="runs per throttled profile (3)")
    parser.add_argument("--backlog", type=int, default=None, help="entries pushed on 2G (500)")
    parser.add_argument(
        "--slow-backlog",
        type=int,
        default=None,
        help="entries with 3,000-character descriptions pushed on GPRS (200)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 run per profile, 100 + 50 entries"
    )
    parser.add_argument(
        "--startup-only", action="store_true", help="scenarios 1-3 only (no backlog pushes)"
    )
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    entries = args.backlog or (100 if args.quick else 500)
    slow_entries = args.slow_backlog or (50 if args.quick else 200)

    from playwright.sync_api import sync_playwright

    need_ready = app_marks_ready()
    print("setting up: fresh SQLite database, catalogue, Cao Bằng demo (about a minute)")
    with demo_server() as (server, env, login, who, tmp), sync_playwright() as p:
        wire = WireTap(server.port)
        base = f"http://{HOST}:{wire.port}"
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            header = describe(browser.version)
            print(header)
            print("1/2: first and repeat visits")
            visits = scenario_visits(browser, base, wire, need_ready)
            startups: dict[str, list[Startup]] = {}
            for throttle in (TWO_G, SLOW_2G):
                label = throttle.label()
                startups[label] = []
                for i in range(runs):
                    print(f"3: {label}, run {i + 1}/{runs}")
                    startups[label].append(
                        scenario_startup(browser, base, wire, throttle, need_ready, ready_s=240)
                    )
            backlogs = []
            if not args.startup_only:
                print(f"4: {entries}-entry backlog on 2G")
                backlogs.append(
                    scenario_backlog(browser, base, wire, login, entries, env, tmp, need_ready)
                )
                print(f"5: {slow_entries}-entry backlog, long descriptions, on GPRS")
                backlogs.append(
                    scenario_backlog(
                        browser, base, wire, login, slow_entries, env, tmp, need_ready, GPRS, 3000
                    )
                )
        finally:
            browser.close()
            wire.close()
    print_report(header, who, need_ready, visits, startups, backlogs)
    for b in backlogs:
        if not (b.found == b.entries and b.added == b.entries and b.left_on_phone == 0):
            print(f"\nCORRECTNESS FAILED: the backlog on {b.link} did not arrive exactly once")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
