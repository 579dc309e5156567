"""A database that hangs gives a 503 with Retry-After, well before any worker time-out.

Three ways a request can wait on the database for ever: PostgreSQL stops answering (a hung
server, a dead middlebox, a black-holed route — nothing TCP or PostgreSQL reports), another
transaction holds a lock it needs, or a session the app gave up on sits idle in its
transaction holding locks. Each must become ``503 database_unavailable`` within the configured
time, and the phone's resend must then apply exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, make_url, select, text

from server.extensions import db
from server.models import Activity
from tests.world import HEADERS, activity_record

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

#: gunicorn's worker time-out in deploy/gunicorn.conf.py: every answer must come well before.
WORKER_TIMEOUT = 30


def answered_within(seconds: float, request: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``request`` in a thread; fail the test (instead of hanging it) if it has not
    answered after ``seconds``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["answer"] = request()
        except BaseException as exc:  # noqa: BLE001  (handed to the test below)
            box["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"no answer after {seconds:.0f} s: the request hangs on the database")
    if "error" in box:
        raise box["error"]
    return box["answer"], time.monotonic() - started


def push_request(client: Any, phone: Any, *mutations: dict) -> Callable[[], Any]:
    body = json.dumps({"device_id": str(phone.device_id), "mutations": list(mutations)})
    headers = {
        **HEADERS,
        "Authorization": f"Bearer {phone.token}",
        "Content-Type": "application/json",
    }
    return lambda: client.post("/api/v1/sync/push", data=body, headers=headers)


def assert_unavailable(resp: Any) -> None:
    assert resp.status_code == 503, resp.get_json()
    assert resp.get_json()["code"] == "database_unavailable"
    assert int(resp.headers["Retry-After"]) > 0


def stored(world: Any, record_id: uuid.UUID) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).where(Activity.id == record_id))


class SilentRelay:
    """A TCP relay to PostgreSQL that, once the app sends ``stall_on``, goes silent on that
    connection: nothing more is forwarded either way and neither end is closed, even when
    the app closes its side. TCP keepalives cannot see it (the relay's kernel answers
    them), PostgreSQL's statement time-out cannot (the statement never reached it)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.stall_on: bytes | None = None
        self.stalls = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            silent = threading.Event()
            for src, dst, from_app in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(src, dst, from_app, silent), daemon=True
                ).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, from_app: bool, silent: threading.Event
    ) -> None:
        try:
            while data := src.recv(65536):
                if from_app and self.stall_on is not None and self.stall_on in data:
                    self.stall_on = None
                    self.stalls += 1
                    silent.set()
                if not silent.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        if silent.is_set():
            return  # a silent link reports nothing, not even a close
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.close()

    def close(self) -> None:
        self.server.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()


def test_a_database_that_stops_answering_in_the_middle_of_a_push_gives_503(
    world, make_app, backend, database_uri
):
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only: a network link between the app and its database")
    url = make_url(database_uri)
    relay = SilentRelay((url.host or "127.0.0.1", url.port or 5432))
    try:
        app = make_app(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=relay.port).render_as_string(
                hide_password=False
            ),
            DATABASE_STATEMENT_TIMEOUT=1,
            DATABASE_ANSWER_TIMEOUT=2,
            DATABASE_LOCK_TIMEOUT=1,
            DATABASE_IDLE_IN_TRANSACTION_TIMEOUT=4,
        )
        client = app.test_client()
        phone = world.phone("hoa")
        phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
        rid = uuid.uuid4()
        waiting = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
        push = push_request(client, phone, waiting)

        # The device row is locked and its number checked when the link goes silent.
        relay.stall_on = b"INSERT INTO activities"
        resp, took = answered_within(WORKER_TIMEOUT / 2, push)
        assert relay.stalls == 1
        assert_unavailable(resp)
        assert took >= 2  # it was the answer time-out that gave up, not anything else

        # PostgreSQL still holds the abandoned session, idle in its transaction with the
        # device's lock, until idle_in_transaction_session_timeout ends it (without it, for
        # ever: the relay never reports the close). Meanwhile a resend may be refused with
        # 503 (lock_timeout), never left waiting; then it applies, once.
        statuses = []
        give_up = time.monotonic() + 20
        while time.monotonic() < give_up:
            resp, _ = answered_within(WORKER_TIMEOUT / 2, push)
            statuses.append(resp.status_code)
            if resp.status_code == 200:
                break
            assert_unavailable(resp)
            time.sleep(0.3)
        assert statuses[-1] == 200, statuses
        out = resp.get_json()
        assert out["last_applied"] == 2 and out["results"][0]["status"] == "applied"
        assert stored(world, rid) == 1
    finally:
        relay.close()


def test_a_lock_held_by_another_transaction_gives_503_not_a_wait(
    world, make_app, backend, database_uri
):
    app = make_app(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=database_uri,
        DATABASE_LOCK_TIMEOUT=1,
        SQLITE_BUSY_TIMEOUT=1,
    )
    client = app.test_client()
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    mutation = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
    push = push_request(client, phone, mutation)
    url = make_url(database_uri)
    if backend.name == "postgresql":
        holder: Any = psycopg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        holder.execute("LOCK TABLE activities IN EXCLUSIVE MODE")
    else:
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # SQLite's one writer lock
    try:
        resp, _ = answered_within(10, push)
        assert_unavailable(resp)
    finally:
        holder.rollback()
        holder.close()
    resp, _ = answered_within(10, push)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["results"][0]["status"] == "applied"
    assert stored(world, rid) == 1


@pytest.mark.postgresql_only
def test_request_connections_carry_the_timeouts_and_keepalives(app):
    with app.app_context():
        conn = db.session.connection()
        shown = {
            name: conn.execute(text(f"SHOW {name}")).scalar()
            for name in (
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
            )
        }
        params = conn.connection.driver_connection.info.get_parameters()
    assert shown == {
        "statement_timeout": "10s",
        "lock_timeout": "5s",
        "idle_in_transaction_session_timeout": "15s",
    }
    assert params["keepalives"] == "1" and int(params["keepalives_idle"]) <= 10
    assert int(params["connect_timeout"]) <= 10


@pytest.mark.postgresql_only
def test_the_flask_commands_run_without_the_request_limits(database_uri, tmp_path):
    """Migrations, rebuilds and purges are run by a person who can wait or interrupt; a
    time-out meant for requests would cut a long migration half-way."""
    script = (
        "from sqlalchemy import text\n"
        "from server.extensions import db\n"
        "print('limits:', db.session.execute(text('SHOW statement_timeout')).scalar(),"
        " db.session.execute(text('SHOW lock_timeout')).scalar())\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "k" * 40,
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [str(BIN / "flask"), "--app", "server", "shell"],
        input=script,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "limits: 0 0" in out.stdout, out.stdout + out.stderr
