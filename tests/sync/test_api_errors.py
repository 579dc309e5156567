"""The remaining error answers of the API, each with its stable code."""

from __future__ import annotations

import uuid

from sqlalchemy import delete

from server.extensions import db
from sync.tables import sync_mutations
from tests.world import HEADERS, activity_record


def auth(phone) -> dict:
    return {**HEADERS, "Authorization": f"Bearer {phone.token}"}


def test_malformed_bodies(world):
    phone = world.phone("hoa")
    resp = phone.client.post("/api/v1/sync/pull", data=b"{not json", headers=auth(phone))
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_json"
    resp = phone.client.post("/api/v1/sync/pull", data=b"[1, 2]", headers=auth(phone))
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_json"
    resp = phone.client.post(
        "/api/v1/sync/pull", data=b"{}", headers={**auth(phone), "Content-Encoding": "br"}
    )
    assert resp.status_code == 415 and resp.get_json()["supported"] == ["gzip", "identity"]


def test_an_invalid_envelope_answers_422_with_structured_errors(world):
    phone = world.phone("hoa")
    resp = phone.post(
        "/api/v1/sync/push",
        {
            "device_id": "nope",
            "mutations": [
                {"n": 0, "collection": "activities", "op": "merge", "id": str(uuid.uuid4())}
            ],
            "extra": 1,
        },
    )
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "invalid_request" and body["message"] == "Yêu cầu không hợp lệ"
    errors = body["errors"]
    assert errors["device_id"][0]["code"] == "not_a_uuid"
    assert errors["extra"][0]["code"] == "unknown_field"
    assert errors["mutations"]["0"]["n"][0]["code"] == "too_small"
    assert errors["mutations"]["0"]["op"][0]["code"] == "not_one_of"


def test_wrong_password_on_device_sign_in(world):
    resp = world.app.test_client().post(
        "/api/v1/devices",
        headers=HEADERS,
        json={"username": "hoa", "password": "sai-mat-khau", "device_id": str(uuid.uuid4())},
    )
    assert resp.status_code == 401 and resp.get_json()["code"] == "bad_credentials"
    assert resp.get_json()["message"] == "Tên đăng nhập hoặc mật khẩu không đúng"


def test_a_retry_whose_original_answer_is_gone_is_still_not_applied_twice(world):
    phone = world.phone("hoa")
    m = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    phone.push(m)
    with world.app.app_context():
        db.session.execute(delete(sync_mutations))
        db.session.commit()
    out = phone.push(m)
    assert out["results"] == [{"n": 1, "status": "already_applied"}]
    assert out["last_applied"] == 1
