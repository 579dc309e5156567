"""Driving the field app in Chromium the way a person does: through its screens.

``page.wait_for_function`` would evaluate a string inside the page, which the app's
Content-Security-Policy forbids (as it should), so waiting is done by polling.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from typing import Any

from sqlalchemy import func, select, update

from server.extensions import db
from server.models import Activity, ActivityType
from tests import factories as f


def until(page: Any, expression: str, timeout_ms: int = 20000, arg: Any = None) -> Any:
    """Poll ``expression`` (awaited in the page) until it is truthy; return its value."""
    from playwright.sync_api import Error

    for _ in range(timeout_ms // 100):
        try:
            value = page.evaluate(expression, arg)
        except Error as err:  # the page navigated (e.g. reloaded into a new version)
            if "context was destroyed" not in str(err):
                raise
            value = None
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression}")


def status(page: Any) -> str:
    return page.inner_text("#status")


def synced(page: Any) -> None:
    page.wait_for_selector("#status:has-text('Đã đồng bộ')", timeout=20000)


def sync_once(page: Any) -> None:
    """Press "Đồng bộ" and wait for that sync (not an earlier one) to end well."""
    before = int(page.get_attribute("body", "data-syncs") or 0)
    page.click("#sync")
    until(page, "n => Number(document.body.dataset.syncs || 0) > n", arg=before)
    synced(page)


#: What the worker the server serves precaches at install (SHELL), fetches once it
#: controls the page (LATER: the photo code, decision 190), and its cache (from VERSION).
WORKER_LISTS = """fetch('/app/sw.js', {cache: 'no-store'}).then(r => r.text()).then(t => ({
  cache: 'sodoan-shell-' + JSON.parse(t.match(/const VERSION = (".*?");/)[1]),
  shell: JSON.parse(t.match(/const SHELL = (\\[.*?\\]);/)[1]),
  later: JSON.parse((t.match(/const LATER = (\\[.*?\\]);/) || [0, '[]'])[1]),
}))"""

#: Whether every later file is in the worker's cache (the worker fetches them after
#: activation; a photo test that goes offline right after ``ready`` needs them).
LATER_CACHED = f"""{WORKER_LISTS}.then(async w => {{
  if (!(await caches.has(w.cache))) return false;
  const cache = await caches.open(w.cache);
  return (await Promise.all(w.later.map(u => cache.match(u)))).every(Boolean);
}})"""


def ready(page: Any, base: str) -> None:
    """First visit: the shell is installed and controls the page, and the files it fetches
    once it does (the photo code) are in its cache too."""
    page.goto(base + "/app/")
    until(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    until(page, "caches.keys().then(k => k.some(n => n.startsWith('sodoan-shell-')))")
    until(page, LATER_CACHED)
    # The tests read the phone's store through the app's unbundled modules, which the built
    # app does not precache (decision 160): loaded once online, through the worker, they
    # are kept for offline too, as for a person debugging.
    page.evaluate(
        "Promise.all(['shared/db.js', 'shared/outbox.js', 'page/validate.js']"
        ".map(m => import('/app/js/' + m)))"
    )


def sign_in(page: Any, username: str, password: str = f.PASSWORD) -> None:
    page.wait_for_selector("#sign-in")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#records")
    synced(page)


def outbox_count(page: Any) -> int:
    return page.evaluate("import('/app/js/shared/db.js').then(db => db.count('outbox'))")


def record_activity(page: Any, title: str, **values: str) -> None:
    """Fill the entry form and save it; waits until it is in the list."""
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.select_option("#f-type", values.pop("type", "thu_bay_tinh_nguyen"))
    page.fill("#f-title", title)
    for name, value in values.items():
        page.fill(f"#f-{name}", value)
    page.click("#save")
    page.wait_for_selector("#records")
    until(
        page,
        "t => [...document.querySelectorAll('#records strong')].some(e => e.textContent === t)",
        arg=title,
    )


def open_activity(page: Any, title: str) -> None:
    page.click("nav a[href='#/']")
    page.wait_for_selector("#records")
    page.locator("#records a.record", has_text=title).first.click()
    page.wait_for_selector("#detail-title")


def stored(world: Any, **where: Any) -> int:
    """How many activities the server's database holds (matching ``where``)."""
    with world.app.app_context():
        q = select(func.count()).select_from(Activity)
        for key, value in where.items():
            q = q.where(getattr(Activity, key) == value)
        return db.session.scalar(q)


def device_id(page: Any) -> str:
    return page.evaluate(
        "import('/app/js/shared/db.js').then(db => db.getMeta('session')).then(s => s.device_id)"
    )


def retire_type(world: Any, code: str) -> None:
    """The province stops using an activity type: entries of it are refused from now on."""
    with world.app.app_context():
        db.session.execute(
            update(ActivityType).where(ActivityType.code == code).values(active=False)
        )
        db.session.commit()


def queue_backlog(page: Any, unit_id: int, count: int, description_chars: int = 0) -> None:
    """Queue ``count`` new activities through the app's own outbox, as the entry form
    does, with descriptions of random CJK characters (they barely compress), without
    starting a sync."""
    page.evaluate(
        """async ([unit, count, chars]) => {
          const outbox = await import('/app/js/shared/outbox.js');
          const noise = () => Array.from({ length: chars },
            () => String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 20000))).join('');
          for (let i = 0; i < count; i += 1) {
            await outbox.queueUpsert({ id: crypto.randomUUID(), version: 0, unit_id: unit,
              type: 'thi_dua', title: `Mục ${i}`, starts_on: '2026-11-20', ends_on: '2026-11-20',
              place: '', members_count: 1, citizens_served: 0, volunteer_hours: '1.0',
              quantities: {}, description: noise(), status: 'submitted',
              recorded_at: '2026-11-20T08:00:00+07:00' });
          }
        }""",
        [unit_id, count, description_chars],
    )


def set_link(page: Any, bytes_per_second: int) -> None:
    """What the phone believes of its link (as its last pushes measured it)."""
    page.evaluate(
        "bps => import('/app/js/shared/db.js').then(db => db.setMeta({link: {bps, ratio: 0.5}}))",
        bytes_per_second,
    )


def push_body(request: Any) -> dict:
    """A push as the phone sent it (gzipped or not)."""
    data = request.post_data_buffer
    if request.headers.get("content-encoding") == "gzip":
        data = gzip.decompress(data)
    return json.loads(data)


class CuttingRelay:
    """A TCP relay in front of the test server that cuts a connection whose request has
    gone unanswered ``cut_after`` seconds after its first byte: what gunicorn's worker
    time-out does to a push still trickling in over 2G (the phone sees a dropped
    connection; the server applies nothing). ``base`` is the URL to open the app at.

    Like a proxy with a short keep-alive, it closes a connection idle for a moment after
    an answer: a request cut on a reused connection is one Chromium silently sends again,
    so without this the phone would not see the cut."""

    def __init__(self, base: str, cut_after: float) -> None:
        self.target = ("127.0.0.1", int(base.rsplit(":", 1)[1]))
        self.cut_after = cut_after
        self.cuts = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.asking: dict[socket.socket, float | None] = {}
        self.answered: dict[socket.socket, float] = {}
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.asking[client] = None
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, client: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    if src is client:  # a request under way: the clock runs from its start
                        if self.asking.get(client) is None:
                            self.asking[client] = time.monotonic()
                    elif client in self.asking:  # answered
                        self.asking[client] = None
                        self.answered[client] = time.monotonic()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
        with self.lock:
            self.asking.pop(client, None)
            self.answered.pop(client, None)

    def _watch(self) -> None:
        while not self.closed:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                late = [
                    c for c, since in self.asking.items() if since and now - since > self.cut_after
                ]
                self.cuts += len(late)
                idle = [
                    c
                    for c, since in self.answered.items()
                    if self.asking.get(c) is None and now - since > 0.3
                ]
                for c in late + idle:
                    self.asking.pop(c, None)
                    self.answered.pop(c, None)
                    with contextlib.suppress(OSError):
                        c.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.server.close()
