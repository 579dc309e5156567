"""A small world for API tests: two communes, their branches, people and phones."""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.extensions import db
from server.models import UnitKind
from tests import factories as f

HEADERS = {"Sodoan-Protocol": "1"}


@dataclass
class Phone:
    """A device as the protocol sees it: its id, token and mutation counter."""

    client: Any
    device_id: uuid.UUID
    token: str
    next_n: int = 1
    cursor: str | None = None
    store: dict[str, dict] = field(default_factory=dict)

    def post(self, path: str, body: dict, *, gzip_body: bool = False, headers=None):
        data = json.dumps(body).encode()
        hdrs = {
            **HEADERS,
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        if gzip_body:
            data = gzip.compress(data)
            hdrs["Content-Encoding"] = "gzip"
        return self.client.post(path, data=data, headers=hdrs)

    def mutation(
        self,
        op: str,
        record_id,
        record: dict | None = None,
        *,
        base_version: int | None = None,
        changed: list[str] | None = None,
        n: int | None = None,
    ) -> dict:
        if n is None:
            n, self.next_n = self.next_n, self.next_n + 1
        m = {
            "n": n,
            "collection": "activities",
            "op": op,
            "id": str(record_id),
            "base_version": base_version,
        }
        if record is not None:
            m["record"] = record
        if changed is not None:
            m["changed"] = changed
        return m

    def push(self, *mutations: dict, expect: int = 200):
        resp = self.post(
            "/api/v1/sync/push", {"device_id": str(self.device_id), "mutations": list(mutations)}
        )
        assert resp.status_code == expect, resp.get_json()
        return resp.get_json()

    def pull(
        self, cursor: Any = "own", limit: int = 500, reference: str | None = None, expect: int = 200
    ):
        body = {
            "device_id": str(self.device_id),
            "limit": limit,
            "reference": reference,
            "cursor": self.cursor if cursor == "own" else cursor,
        }
        resp = self.post("/api/v1/sync/pull", body)
        assert resp.status_code == expect, resp.get_json()
        return resp.get_json()

    def sync_down(self, limit: int = 500) -> int:
        """Pull every page into the store; return how many pages it took."""
        pages = 0
        while True:
            page = self.pull(limit=limit)
            pages += 1
            for c in page["changes"]:
                if c["deleted"]:
                    self.store.pop(c["id"], None)
                else:
                    self.store[c["id"]] = c["record"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return pages


@dataclass
class World:
    app: Any
    ids: dict[str, int]

    def phone(self, username: str, device_id: uuid.UUID | None = None) -> Phone:
        client = self.app.test_client()
        device_id = device_id or uuid.uuid4()
        resp = client.post(
            "/api/v1/devices",
            headers=HEADERS,
            json={
                "username": username,
                "password": f.PASSWORD,
                "device_id": str(device_id),
                "device_name": f"Điện thoại của {username}",
            },
        )
        assert resp.status_code == 201, resp.get_json()
        return Phone(client, device_id, resp.get_json()["token"])


def activity_record(unit_id: int, **changes: Any) -> dict:
    record = {
        "unit_id": unit_id,
        "type": "thu_bay_tinh_nguyen",
        "title": "Ngày thứ bảy tình nguyện tại UBND xã Trường Hà",
        "starts_on": "2026-11-21",
        "ends_on": "2026-11-21",
        "place": "UBND xã Trường Hà",
        "members_count": 12,
        "citizens_served": 80,
        "volunteer_hours": "48.0",
        "quantities": {"dossiers_land": 5},
        "description": "",
        "status": "draft",
        "recorded_at": "2026-11-21T09:30:00+07:00",
    }
    record.update(changes)
    return record


@pytest.fixture
def world(app) -> World:
    return build_world(app)


def build_world(app: Any) -> World:
    """The world of the ``world`` fixture, for a fixture of a wider scope."""
    with app.app_context():
        f.activity_type()  # seeds the catalogue
        province = f.unit("CB", None, UnitKind.PROVINCE, name="Tỉnh Đoàn Cao Bằng")
        commune = f.unit("CB-TH", province, UnitKind.COMMUNE, name="Đoàn xã Trường Hà")
        b1 = f.unit("CB-TH-01", commune, name="Chi đoàn xóm Nà Mạ")
        b2 = f.unit("CB-TH-02", commune, name="Chi đoàn xóm Cốc Lùng")
        other = f.unit("CB-LN", province, UnitKind.COMMUNE, name="Đoàn xã Lũng Nặm")
        b3 = f.unit("CB-LN-01", other, name="Chi đoàn xóm Lũng Rì")
        f.user("hoa", b1, full_name="Nông Thị Hoa")
        f.user("lan", b1, full_name="Hoàng Thị Lan")
        f.user("minh", b2, full_name="Đàm Văn Minh")
        f.user("canbo", commune, role="unit_staff", full_name="Lương Văn Cán")
        f.user("tinh", province, role="provincial_staff", full_name="Bế Thị Tỉnh")
        ids = {
            "province": province.id,
            "commune": commune.id,
            "b1": b1.id,
            "b2": b2.id,
            "other": other.id,
            "b3": b3.id,
        }
        db.session.commit()
    return World(app, ids)


def signed_in(app: Any, username: str) -> Any:
    """A dashboard client with a session for ``username``."""
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": f.PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client
