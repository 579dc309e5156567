"""A database outage answers 503 with Retry-After, and nothing advances."""

from __future__ import annotations

import json
import uuid

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
