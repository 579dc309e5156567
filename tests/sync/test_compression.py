"""API answers are gzip (zlib-ng) when gzip is what the client asked for, brotli when it
prefers brotli, plain when small; the body is the same JSON whichever way it travels."""

from __future__ import annotations

import gzip
import json
import uuid

import brotli
import pytest

from tests.world import HEADERS, activity_record


def _pull(phone, accept: str | None):
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    if accept is not None:
        headers["Accept-Encoding"] = accept
    body = {"device_id": str(phone.device_id), "cursor": None, "reference": "x"}
    resp = phone.client.post("/api/v1/sync/pull", headers=headers, json=body)
    assert resp.status_code == 200
    return resp


def _body(resp) -> dict:
    raw = resp.data
    encoding = resp.headers.get("Content-Encoding")
    if encoding == "gzip":
        raw = gzip.decompress(raw)
    elif encoding == "br":
        raw = brotli.decompress(raw)
    return json.loads(raw)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("gzip, deflate, br", "br"),  # a browser: flask-compress's brotli
        ("br;q=0.5, gzip", "gzip"),
        ("identity", None),
        (None, None),
    ],
)
def test_the_encoding_follows_the_client(world, accept, expected):
    phone = world.phone("hoa")
    phone.push(
        *[
            phone.mutation(
                "upsert", uuid.uuid4(), activity_record(world.ids["b1"], title=f"Số {i}")
            )
            for i in range(20)
        ]
    )
    plain = _body(_pull(phone, None))
    resp = _pull(phone, accept)
    assert resp.headers.get("Content-Encoding") == expected
    assert "Vary" not in resp.headers  # POST answers are never cached
    if expected:
        assert int(resp.headers["Content-Length"]) == len(resp.data) < len(json.dumps(plain))
    got = _body(resp)
    assert got["changes"] == plain["changes"] and len(got["changes"]) == 20


def test_a_small_answer_is_not_compressed(world):
    phone = world.phone("hoa")
    resp = phone.client.post(
        "/api/v1/sync/pull",
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}", "Accept-Encoding": "gzip"},
        json={"device_id": str(phone.device_id), "cursor": None, "reference": None},
    )
    assert resp.status_code == 200 and len(resp.data) >= 512  # the reference data
    first = resp.get_json() if "Content-Encoding" not in resp.headers else _body(resp)
    idle = phone.client.post(
        "/api/v1/sync/pull",
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}", "Accept-Encoding": "gzip"},
        json={
            "device_id": str(phone.device_id),
            "cursor": first["cursor"],
            "reference": first["reference"]["hash"],
        },
    )
    assert "Content-Encoding" not in idle.headers
    assert idle.get_json()["changes"] == []
