"""A database outage answers 503 with Retry-After, and nothing advances."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid

import pytest
from sqlalchemy import func, make_url, select

from server.extensions import db
from server.models import Activity
from sync.tables import sync_devices
from tests.world import HEADERS, activity_record


def test_an_unreachable_database_gives_503_and_the_retry_succeeds(
    world, make_app, backend, tmp_path
):
    phone = world.phone("hoa")
    phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    if backend.name == "sqlite":
        (tmp_path / "gone").mkdir()
        down_uri = f"sqlite:///{tmp_path / 'gone'}"
    else:
        down_uri = "postgresql+psycopg://sodoan@127.0.0.1:9/gone"
    down = make_app(SQLALCHEMY_DATABASE_URI=down_uri).test_client()
    waiting = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    body = json.dumps({"device_id": str(phone.device_id), "mutations": [waiting]})
    headers = {
        **HEADERS,
        "Authorization": f"Bearer {phone.token}",
        "Content-Type": "application/json",
    }
    for path in ("/api/v1/sync/push", "/api/v1/sync/pull"):
        resp = down.post(path, data=body, headers=headers)
        assert resp.status_code == 503
        assert resp.get_json()["code"] == "database_unavailable"
        assert int(resp.headers["Retry-After"]) > 0
    # The database is back: the same mutation is the next one expected, and applies once.
    out = phone.push(waiting)
    assert out["last_applied"] == 2 and out["results"][0]["status"] == "applied"


class Relay:
    """A TCP relay to PostgreSQL that can drop every connection the moment the app sends a
    given statement: a real outage in the middle of a transaction, seen by the database
    as a vanished client (it rolls back) and by the app as a lost connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.cut_on: bytes | None = None
        self.cuts = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open: list[socket.socket] = []
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
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_app: bool) -> None:
        try:
            while data := src.recv(65536):
                if from_app and self.cut_on is not None and self.cut_on in data:
                    self.cut_on = None
                    self.cuts += 1
                    self.drop_all()
                    return
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.close()

    def drop_all(self) -> None:
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
            self.open.clear()

    def close(self) -> None:
        self.server.close()
        self.drop_all()


def test_an_outage_in_the_middle_of_a_push_applies_nothing_and_the_retry_applies_once(
    world, make_app, backend, database_uri
):
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only: a network outage between the app and its database")
    url = make_url(database_uri)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    try:
        app = make_app(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=relay.port).render_as_string(
                hide_password=False
            ),
        )
        client = app.test_client()
        phone = world.phone("hoa")
        phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
        rid = uuid.uuid4()
        waiting = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
        body = json.dumps({"device_id": str(phone.device_id), "mutations": [waiting]})
        headers = {
            **HEADERS,
            "Authorization": f"Bearer {phone.token}",
            "Content-Type": "application/json",
        }
        # The connection goes when the new record is being written: the device is locked,
        # its number checked, the row on its way.
        relay.cut_on = b"INSERT INTO activities"
        resp = client.post("/api/v1/sync/push", data=body, headers=headers)
        assert relay.cuts == 1
        assert resp.status_code == 503, resp.get_json()
        assert resp.get_json()["code"] == "database_unavailable"
        assert int(resp.headers["Retry-After"]) > 0
        with world.app.app_context():  # nothing advanced
            assert db.session.get(Activity, rid) is None
            last = db.session.execute(
                select(sync_devices.c.last_mutation).where(
                    sync_devices.c.device_id == phone.device_id
                )
            ).scalar_one()
            assert last == 1
        # Back: the same batch, through the same app, applies once.
        resp = client.post("/api/v1/sync/push", data=body, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["last_applied"] == 2
        assert resp.get_json()["results"][0]["status"] == "applied"
        with world.app.app_context():
            assert db.session.scalar(select(func.count()).where(Activity.id == rid)) == 1
    finally:
        relay.close()
