"""The wait after a database outage (``Retry-After``): short with jitter at first, longer
while the outage lasts, capped; the same in the body; /healthz the same. Driven by an
injected clock, never by waiting."""

from __future__ import annotations

import random

from server.outage import EXTENSION, Outage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_first_outage_answers_one_to_three_seconds_with_jitter():
    outage = Outage(60, clock=Clock(), rng=random.Random(7))
    assert {outage.retry_after() for _ in range(200)} == {1, 2, 3}


def test_the_wait_grows_while_the_outage_lasts_and_is_capped():
    clock = Clock()
    outage = Outage(60, clock=clock, rng=random.Random(7))
    outage.retry_after()  # the outage starts
    seen = {}
    for elapsed in (2, 9, 30, 59, 60, 61, 110):
        # 503s every second or so keep it one outage.
        while clock.now < 1000 + elapsed:
            clock.now += 1
            outage.retry_after()
        seen[elapsed] = {outage.retry_after() for _ in range(300)}
    assert seen[2] == {1, 2, 3}
    assert seen[9] == set(range(3, 10))
    assert seen[30] == set(range(10, 31))
    assert seen[59] == set(range(20, 60))
    assert seen[60] == seen[61] == seen[110] == set(range(20, 61))  # the cap


def test_the_outage_ends_when_the_database_answers_or_after_a_quiet_spell():
    clock = Clock()
    outage = Outage(60, clock=clock, rng=random.Random(3))
    outage.retry_after()
    for _ in range(40):
        clock.now += 1
        outage.retry_after()
    assert min(outage.retry_after() for _ in range(50)) >= 14
    outage.database_answered()
    assert {outage.retry_after() for _ in range(100)} == {1, 2, 3}
    for _ in range(40):
        clock.now += 1
        outage.retry_after()
    clock.now += 121  # no 503 for more than twice the cap: a new outage
    assert {outage.retry_after() for _ in range(100)} == {1, 2, 3}


def _down_app(backend, make_app, tmp_path, **config):
    if backend.name == "sqlite":
        (tmp_path / "gone").mkdir()
        uri = f"sqlite:///{tmp_path / 'gone'}"
    else:
        uri = "postgresql+psycopg://sodoan@127.0.0.1:9/gone"
    return make_app(SQLALCHEMY_DATABASE_URI=uri, SODOAN_PROBE_DATABASE=False, **config)


def test_503s_and_healthz_give_the_growing_wait_in_header_and_body(backend, make_app, tmp_path):
    app = _down_app(backend, make_app, tmp_path, RETRY_AFTER_MAX_SECONDS=45)
    clock = Clock()
    app.extensions[EXTENSION] = Outage(45, clock=clock, rng=random.Random(1))
    client = app.test_client()
    headers = {"Sodoan-Protocol": "1", "Authorization": "Bearer x"}
    first = client.post("/api/v1/sync/pull", json={}, headers=headers)
    health = client.get("/healthz")
    for resp in (first, health):
        assert resp.status_code == 503
        assert 1 <= int(resp.headers["Retry-After"]) <= 3
        assert resp.get_json()["retry_after"] == int(resp.headers["Retry-After"])
    assert "may have been applied" in first.get_json()["message_en"]
    assert "có thể đã được lưu" in first.get_json()["message"]
    for step in range(1, 30):  # a 503 every 10 s: the outage goes on
        clock.now += 10
        resp = (
            client.get("/healthz")
            if step % 2
            else client.post("/api/v1/sync/pull", json={}, headers=headers)
        )
        wait = int(resp.headers["Retry-After"])
        assert resp.get_json()["retry_after"] == wait
        if step >= 5:  # 50 s and more into it: a third of the cap to the cap
            assert 15 <= wait <= 45
