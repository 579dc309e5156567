"""Two app servers on one PostgreSQL database, as a province scales out (issue 12 §6).

Two real gunicorns (deploy/gunicorn.conf.py, 2 processes each) on two ports share one
database. Phones written from docs/PROTOCOL.md (tests/fieldphone.py) sign in, push and pull
through both, each request going to the other server than the last — what a load balancer
without sticky sessions does. Every third push is sent to both servers at once and the
phone keeps only the second answer (the first one "lost"), so a batch is applied by one
server while the other is applying the same batch: still exactly once. Failed sign-ins on
one server count on the other (the counts are in the shared database).

PostgreSQL only: one SQLite file is one machine's database; the SQLite run has nothing
to show about several machines.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import select

from server.extensions import db
from server.models import Activity
from tests import factories as f
from tests.fieldphone import FieldPhone, http_transport
from tests.world import HEADERS, activity_record

pytestmark = pytest.mark.postgresql_only

ROUNDS = 6
ADDRESS_FAILURES = 4


def both_servers(urls: list[str], sessions: list[requests.Session]) -> Callable:
    """A phone's network: each request to the next server in turn; every third push
    goes to both at once and only the later answer reaches the phone."""
    posts = [http_transport(url, s) for url, s in zip(urls, sessions, strict=True)]
    turn = itertools.count()
    pushes = itertools.count(1)

    def post(path: str, body: dict, token: str | None) -> tuple[int, dict, Any]:
        first = next(turn) % len(posts)
        if path.endswith("/sync/push") and next(pushes) % 3 == 0:
            with ThreadPoolExecutor(len(posts)) as pool:
                answers = list(pool.map(lambda p: p(path, body, token), posts))
            for status, _h, out in answers:
                assert status == 200, (status, out)
            return answers[1 - first]
        return posts[first](path, body, token)

    return post


def live_in(world, units: list[int]) -> dict[str, int]:
    """The server's view of a scope: id → version of every live activity in these units."""
    with world.app.app_context():
        rows = db.session.execute(
            select(Activity.id, Activity.version).where(
                Activity.unit_id.in_(units), Activity.deleted_at.is_(None)
            )
        ).all()
    return {str(rid): version for rid, version in rows}


def test_two_servers_one_database(world, gunicorn):
    env = {"TRUSTED_PROXIES": "1", "SIGNIN_ADDRESS_FAILURES": str(ADDRESS_FAILURES)}
    servers = [gunicorn(**env), gunicorn(**env)]
    urls = [s.url for s in servers]
    sessions: list[requests.Session] = []

    def phone(username: str) -> FieldPhone:
        mine = [requests.Session() for _ in urls]
        sessions.extend(mine)
        p = FieldPhone(both_servers(urls, mine), username, f.PASSWORD)
        p.sign_in()
        return p

    writers = [phone("hoa"), phone("hoa"), phone("lan"), phone("minh")]
    staff = phone("canbo")  # the commune's staff: reads both branches
    unit_of = {"hoa": world.ids["b1"], "lan": world.ids["b1"], "minh": world.ids["b2"]}
    # id → edits its author made; ids deleted. Each phone edits only its own records, so
    # an edit applied twice would show as one version too many.
    edits: dict[str, int] = {}
    deleted: set[str] = set()
    lock = threading.Lock()

    def work(p: FieldPhone, seed: int) -> None:
        try:
            rounds(p, seed)
        except BaseException:
            staff_turn.abort()  # the others stop waiting for this phone, and fail too
            raise

    def rounds(p: FieldPhone, seed: int) -> None:
        mine: list[str] = []
        for r in range(ROUNDS):
            for k in range(3):
                rid = p.create(
                    activity_record(unit_of[p.username], title=f"{p.device_id[:8]} {r}.{k}")
                )
                mine.append(rid)
                with lock:
                    edits[rid] = 0
            p.sync()
            target = mine[(seed + r) % len(mine)]
            if target in p.store:
                p.edit(target, title=f"sửa lần {r} của {p.device_id[:8]}")
                with lock:
                    edits[target] += 1
            if r % 2 == 1:
                gone = mine.pop(0)
                if gone in p.store:
                    p.delete(gone)
                    with lock:
                        deleted.add(gone)
            p.sync()
            staff_turn.wait()

    # The staff phone pulls between the writers' rounds, on whichever server is next.
    staff_turn = threading.Barrier(len(writers), action=staff.pull_all, timeout=120)
    try:
        with ThreadPoolExecutor(len(writers)) as pool:
            for done in [pool.submit(work, p, i) for i, p in enumerate(writers)]:
                done.result(timeout=120)

        # Exactly once: every create stored, every edit applied once, every delete done.
        live_b1 = live_in(world, [world.ids["b1"]])
        live_b2 = live_in(world, [world.ids["b2"]])
        expected = {rid: 1 + n for rid, n in edits.items() if rid not in deleted}
        assert {**live_b1, **live_b2} == expected
        with world.app.app_context():
            rows = db.session.execute(
                select(Activity.id, Activity.deleted_at).where(
                    Activity.id.in_([uuid.UUID(r) for r in edits])
                )
            ).all()
        assert len(rows) == len(edits)
        assert {str(rid) for rid, at in rows if at is not None} == deleted

        # Convergence: after one more sync each phone holds its scope as the server has it,
        # and what a new device downloads from scratch (from either server) is the same.
        for p in [*writers, staff]:
            p.sync()
            assert not p.outbox and not p.rejected and not p.aside
        scope = {"hoa": live_b1, "lan": live_b1, "minh": live_b2, "canbo": live_b1 | live_b2}
        for p in [*writers, staff]:
            held = {rid: v["version"] for rid, v in p.store.items()}
            assert held == scope[p.username], p.username
            fresh = phone(p.username)
            fresh.pull_all(limit=7)  # several pages, across both servers
            assert fresh.store == p.store, p.username
        assert all(p.resyncs == 0 for p in writers)

        # Sign-in limits hold across both: failures from one address, half on each server,
        # stop that address on both once they add up to the limit; nobody else is stopped.
        def sign_in(url: str, password: str, address: str) -> requests.Response:
            return requests.post(
                url + "/api/v1/devices",
                json={
                    "username": "tinh",
                    "password": password,
                    "device_id": str(uuid.uuid4()),
                    "device_name": "máy lạ",
                },
                headers={**HEADERS, "X-Forwarded-For": address},
                timeout=30,
            )

        guesser = "198.51.100.7"
        for i in range(ADDRESS_FAILURES):
            wrong = sign_in(urls[i % 2], f"sai-{i}", guesser)
            assert wrong.status_code == 401, wrong.text
        for url in urls:
            held_back = sign_in(url, f.PASSWORD, guesser)
            assert held_back.status_code == 429, held_back.text
            assert held_back.json()["code"] == "too_many_requests"
            assert int(held_back.headers["Retry-After"]) > 60
        assert sign_in(urls[1], f.PASSWORD, "198.51.100.8").status_code == 201
    finally:
        for s in sessions:
            s.close()
    for s in servers:
        log = s.log.read_text()
        assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-3000:]
