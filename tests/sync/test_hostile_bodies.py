"""Hostile request bodies on every JSON endpoint: a structured 4xx, never a 500.

An outside review found JSON nested ~1,000 deep and integers over 4,300 digits answered 500
on every JSON endpoint, the sign-in included (issue 12 §3).
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Activity, Device
from tests.world import HEADERS, activity_record

DEEP = b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}"
DEEPER = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
NESTED_40 = json.dumps({"device_id": str(uuid.uuid4()), "x": json.loads("[" * 40 + "]" * 40)})
HUGE_INT = b'{"device_id": "' + str(uuid.uuid4()).encode() + b'", "limit": ' + b"9" * 5000 + b"}"
NAN = b'{"limit": NaN}'
INFINITY = b'{"limit": -Infinity}'
# A number too large for a double: parsed as infinity, which JSONB refuses (500 on PostgreSQL).
OVERFLOW = b'{"device_id": "' + str(uuid.uuid4()).encode() + b'", "limit": 1e999, "x": -1e999}'


def _endpoints(world) -> list[tuple[str, dict]]:
    phone = world.phone("hoa")
    auth = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    return [
        ("/api/v1/devices", HEADERS),  # no token needed
        ("/api/v1/sync/push", auth),
        ("/api/v1/sync/pull", auth),
        (f"/api/v1/conflicts/{uuid.uuid4()}/resolve", auth),
    ]


@pytest.mark.parametrize(
    "body",
    [DEEP, DEEPER, NESTED_40.encode(), HUGE_INT, NAN, INFINITY, OVERFLOW],
    ids=[
        "nested-1000",
        "nested-100000",
        "nested-40",
        "int-5000-digits",
        "nan",
        "infinity",
        "1e999",
    ],
)
def test_bodies_no_parser_should_meet_answer_bad_json(world, body):
    client = world.app.test_client()
    for path, headers in _endpoints(world):
        resp = client.post(path, data=body, headers={**headers, "Content-Type": "application/json"})
        assert resp.status_code == 400, (path, resp.status_code, resp.get_data()[:300])
        out = resp.get_json()
        assert out["code"] == "bad_json" and out["message"] and out["message_en"], out


def test_a_nul_in_any_text_is_removed_before_it_is_stored(world):
    """PostgreSQL cannot store NUL (text or JSONB): removed where the body is read, so a
    phone's entry is applied, not refused, and never a 500."""
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    record = activity_record(
        world.ids["b1"], title="Dọn\u0000 vệ sinh", place="Xóm\x00", description="a\u0000b"
    )
    out = phone.push(phone.mutation("upsert", rid, record))
    assert out["results"][0]["status"] == "applied", out
    # An unknown field whose name holds a NUL: rejected, and its payload kept (quarantine).
    bad = phone.push(phone.mutation("upsert", uuid.uuid4(), {**record, "x\u0000y": "\u0000"}))
    assert bad["results"][0]["status"] == "rejected", bad
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert (a.title, a.place, a.description) == ("Dọn vệ sinh", "Xóm", "ab")
    client = world.app.test_client()
    resp = client.post(
        "/api/v1/devices",
        headers=HEADERS,
        json={
            "username": "ho\u0000a",
            "password": "x\u0000",
            "device_id": str(uuid.uuid4()),
            "device_name": "Máy\u0000",
        },
    )
    assert resp.status_code == 401 and resp.get_json()["code"] == "bad_credentials"


@pytest.mark.parametrize(
    "header",
    ["²", "9" * 5000, "١", "1 1", "-1"],
    ids=["superscript", "huge", "arabic", "two", "neg"],
)
def test_a_strange_protocol_header_is_426(world, header):
    resp = world.app.test_client().post(
        "/api/v1/devices", headers={"Sodoan-Protocol": header}, json={}
    )
    assert resp.status_code == 426 and resp.get_json()["code"] == "upgrade_required"


def test_ids_and_versions_past_the_columns_are_refused_not_a_500(world):
    """``INTEGER`` columns on PostgreSQL hold at most 2^31 − 1: a larger ``base_version``
    or ``unit_id`` is the client's mistake, answered per field."""
    phone = world.phone("hoa")
    record = activity_record(world.ids["b1"])
    resp = phone.post(
        "/api/v1/sync/push",
        {
            "device_id": str(phone.device_id),
            "mutations": [
                {
                    "n": 1,
                    "collection": "activities",
                    "op": "upsert",
                    "id": str(uuid.uuid4()),
                    "base_version": 2**31,
                    "record": record,
                }
            ],
        },
    )
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]["mutations"]["0"]
    assert errors["base_version"][0]["code"] == "too_large"
    out = phone.push(phone.mutation("upsert", uuid.uuid4(), {**record, "unit_id": 2**40}))
    result = out["results"][0]
    assert result["status"] == "rejected" and result["errors"]["unit_id"][0]["code"] == (
        "too_large"
    )


def test_user_and_device_ids_past_the_columns_are_404(world):
    phone = world.phone("canbo")
    for path in (
        f"/api/v1/users/{2**31}/devices",
        f"/api/v1/users/{'9' * 5000}/devices",
        f"/api/v1/users/{2**63}/enrolment-codes",
        f"/api/v1/users/{'9' * 30}/deactivate",
    ):
        method = phone.client.get if path.endswith("devices") else phone.client.post
        resp = method(path, headers={**HEADERS, "Authorization": f"Bearer {phone.token}"})
        assert resp.status_code == 404 and resp.get_json()["code"] == "not_found", path
    with world.app.app_context():
        assert db.session.scalar(select(Device.id).where(Device.id == phone.device_id))


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_whose_utc_is_past_year_1_or_9999_is_refused_not_a_500(world, moment):
    phone = world.phone("hoa")
    body = {"device_id": str(phone.device_id), "outbox": {"count": 1, "oldest": moment}}
    resp = phone.post("/api/v1/sync/pull", body)
    assert resp.status_code == 422, resp.get_data()[:300]
    assert resp.get_json()["errors"]["outbox"]["oldest"][0]["code"] == "not_a_datetime"
    record = activity_record(world.ids["b1"], recorded_at=moment)
    out = phone.push(phone.mutation("upsert", uuid.uuid4(), record))["results"][0]
    assert out["status"] == "rejected"
    assert out["errors"]["recorded_at"][0]["code"] == "not_a_datetime"


def test_an_empty_record_id_is_not_a_uuid(world):
    """PROTOCOL §4: a ``record_id`` that is not a UUID answers 400; an empty one was taken
    as "not given" (found by the fuzz's negative cases)."""
    phone = world.phone("hoa")
    resp = phone.client.get(
        "/api/v1/conflicts?record_id=",
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}"},
    )
    assert resp.status_code == 400 and resp.get_json()["code"] == "invalid_request"


def test_a_lone_surrogate_becomes_a_replacement_character_never_a_500(world):
    """Half an emoji (a JavaScript slice through a surrogate pair) reaches JSON as a lone
    ``\\ud83d`` escape, which UTF-8 cannot hold: it answered 500 on every resend, so the
    phone's whole outbox stuck behind it. Now the entry is applied with U+FFFD there."""
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    record = activity_record(world.ids["b1"], title="Trồng cây \ud83d", place="\udc4d Nà Mạ")
    mutation = phone.mutation("upsert", rid, record)
    body = json.dumps({"device_id": str(phone.device_id), "mutations": [mutation]})
    assert "\\ud83d" in body  # escaped, as JSON.stringify writes it
    client = world.app.test_client()
    auth = {**HEADERS, "Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"}
    resp = client.post("/api/v1/sync/push", data=body, headers=auth)
    assert resp.status_code == 200, resp.get_data()[:300]
    assert resp.get_json()["results"][0]["status"] == "applied"
    with world.app.app_context():
        stored = db.session.get(Activity, rid)
        assert (stored.title, stored.place) == ("Trồng cây \ufffd", "\ufffd Nà Mạ")
    # A pair written as two escapes is one character, kept as it is.
    pair = json.dumps(
        {"username": "hoa\ud83d\ude00", "password": "x", "device_id": str(uuid.uuid4())}
    )
    signin = json.dumps(
        {"username": "\ud800", "password": "\udfff", "device_id": str(uuid.uuid4())}
    )
    for raw in (pair, signin):
        resp = client.post(
            "/api/v1/devices", data=raw, headers={**HEADERS, "Content-Type": "application/json"}
        )
        assert resp.status_code in (401, 422), (resp.status_code, resp.get_data()[:300])
