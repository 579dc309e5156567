"""SQLite under real gunicorn: every request path that reads and then writes takes the write
lock up front, so it waits its turn behind a push instead of failing with 503.

A WAL read snapshot cannot be upgraded to a write once another connection has committed:
SQLite answers "database is locked" at once, whatever the busy timeout. Sign-ins (password
and enrolment code), revoking a device, staff creating a code, a device's "last seen" and
its outbox note, dashboard sign-in and sign-out all read first; they must all get through
a stream of pushes. So must a dashboard form behind ``login_required``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
import requests

from tests import factories as f
from tests.conftest import TEST_DATABASE_URL
from tests.server.signin import gunicorn
from tests.world import HEADERS, activity_record

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write lock")

#: Every kind of request runs at least ROUNDS times, for at least SECONDS, all together
#: (on a loaded machine the slow ones, Argon2 sign-ins, set the pace), at most LIMIT s.
SECONDS, ROUNDS, LIMIT = 8, 3, 120


class Device:
    def __init__(self, base: str, username: str) -> None:
        self.base, self.id = base, uuid.uuid4()
        resp = requests.post(
            base + "/api/v1/devices",
            headers=HEADERS,
            json={"username": username, "password": f.PASSWORD, "device_id": str(self.id)},
            timeout=60,
        )
        assert resp.status_code == 201, resp.text
        self.headers = {**HEADERS, "Authorization": f"Bearer {resp.json()['token']}"}
        self.n = 1

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(
            self.base + "/api/v1" + path, headers=self.headers, json=body, timeout=60
        )


def test_pushes_pulls_and_sign_ins_together_never_answer_503(world, database_uri, tmp_path):
    path = database_uri.removeprefix("sqlite:///")
    env = {"SIGNIN_ADDRESS_FAILURES": "1000000"}
    with gunicorn(database_uri, tmp_path, workers=3, env=env) as base:
        hoa, lan, minh, staff = (Device(base, u) for u in ("hoa", "lan", "minh", "canbo"))
        minh_id = _user_id(path, "minh")
        seen: dict[str, Counter] = {}
        failures: list[str] = []
        stop = threading.Event()
        rounds: Counter = Counter()

        def loop(name: str, step: Callable[[int], list[requests.Response]]) -> None:
            counts = seen.setdefault(name, Counter())
            i = 0
            try:
                while not stop.is_set():
                    for resp in step(i):
                        counts[resp.status_code] += 1
                        if resp.status_code >= 500:
                            failures.append(f"{name}: {resp.status_code} {resp.text[:200]}")
                    i += 1
                    rounds[name] = i
            except Exception as exc:  # a thread's crash must fail the test, not vanish
                failures.append(f"{name}: {exc!r}")

        def push(device: Device) -> Callable[[int], list[requests.Response]]:
            def step(i: int) -> list[requests.Response]:
                mutations = []
                for _ in range(20):
                    mutations.append(
                        {
                            "n": device.n,
                            "collection": "activities",
                            "op": "upsert",
                            "id": str(uuid.uuid4()),
                            "base_version": None,
                            "record": activity_record(world.ids["b1"], title=f"Hoạt động {i}"),
                        }
                    )
                    device.n += 1
                return [
                    device.post("/sync/push", {"device_id": str(device.id), "mutations": mutations})
                ]

            return step

        def pull(i: int) -> list[requests.Response]:
            _forget_last_seen(path, minh.id)  # so the request writes "last seen" again
            body = {"device_id": str(minh.id), "cursor": None, "limit": 50}
            body["outbox"] = {"count": i, "oldest": None}  # a new figure: noted every time
            return [minh.post("/sync/pull", body)]

        def sign_in(i: int) -> list[requests.Response]:
            good = requests.post(
                base + "/api/v1/devices",
                headers=HEADERS,
                json={"username": "lan", "password": f.PASSWORD, "device_id": str(uuid.uuid4())},
                timeout=60,
            )
            bad = requests.post(
                base + "/api/v1/devices",
                headers=HEADERS,
                json={
                    "username": f"khong-co-{i}",
                    "password": "sai",
                    "device_id": str(uuid.uuid4()),
                },
                timeout=60,
            )
            return [good, bad]

        def enrol(i: int) -> list[requests.Response]:
            made = staff.post(f"/users/{minh_id}/enrolment-codes", {})
            if made.status_code != 201:
                return [made]
            device_id = str(uuid.uuid4())
            redeemed = requests.post(
                base + "/api/v1/devices",
                headers=HEADERS,
                json={"enrolment_code": made.json()["code"], "device_id": device_id},
                timeout=60,
            )
            revoked = staff.post(f"/devices/{device_id}/revoke", {})
            return [made, redeemed, revoked]

        def dashboard(i: int) -> list[requests.Response]:
            """Staff sign in, make an enrolment code with the dashboard's form (a page
            behind ``login_required`` that reads, then writes) and sign out."""
            with requests.Session() as s:
                page = s.get(base + "/login", timeout=60)
                signed = s.post(
                    base + "/login",
                    data={
                        "username": "canbo",
                        "password": f.PASSWORD,
                        "csrf_token": _csrf(page.text),
                    },
                    timeout=60,
                    allow_redirects=False,
                )
                person = s.get(f"{base}/people/{minh_id}", timeout=60)
                code = s.post(
                    f"{base}/people/{minh_id}/enrolment-code",
                    data={"csrf_token": _csrf(person.text)},
                    timeout=60,
                )
                assert code.status_code != 200 or "Mã kích hoạt" in code.text
                out = s.post(
                    base + "/logout",
                    data={"csrf_token": _csrf(person.text)},
                    timeout=60,
                    allow_redirects=False,
                )
                return [page, signed, person, code, out]

        steps = {
            "push hoa": push(hoa),
            "push lan": push(lan),
            "pull": pull,
            "sign in": sign_in,
            "enrol": enrol,
            "dashboard": dashboard,
        }
        threads = [threading.Thread(target=loop, args=item) for item in steps.items()]
        started = time.monotonic()
        for t in threads:
            t.start()
        while time.monotonic() - started < LIMIT and (
            time.monotonic() - started < SECONDS or min(rounds[n] for n in steps) < ROUNDS
        ):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    assert failures == [], failures[:5]
    assert min(rounds[n] for n in steps) >= ROUNDS, rounds
    assert set(seen["push hoa"]) == set(seen["push lan"]) == set(seen["pull"]) == {200}
    assert set(seen["sign in"]) == {201, 401}
    assert set(seen["enrol"]) == {200, 201} and set(seen["dashboard"]) == {200, 302}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


def _user_id(path: str, username: str) -> int:
    with sqlite3.connect(path, timeout=30) as conn:
        return conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0]


def _forget_last_seen(path: str, device_id: uuid.UUID) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE devices SET last_seen_at = NULL WHERE id = ?", (device_id.hex,))
        conn.execute("COMMIT")
    finally:
        conn.close()
