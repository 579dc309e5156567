"""A phone as docs/PROTOCOL.md describes one, for tests that need whole devices: an outbox
numbered on the device, a local store, a cursor, push before pull, resync on demand.

Written from the protocol, not from the server's code, so a test that drives it checks the
contract as a stranger's client would meet it. It speaks over any transport with
``post(path, body, token) -> (status, headers, json)``: Flask's test client or real HTTP.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Transport = Callable[[str, dict, "str | None"], tuple[int, dict, Any]]
BATCH = 200


def http_transport(base: str, session: Any | None = None, timeout: float = 30) -> Transport:
    """Real HTTP with ``requests`` (gzip request bodies, as phones send them)."""
    import requests

    s = session or requests.Session()

    def post(path: str, body: dict, token: str | None) -> tuple[int, dict, Any]:
        headers = {"Sodoan-Protocol": "1", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode()
        if path.endswith("/sync/push"):
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        r = s.post(base + "/api/v1" + path, data=data, headers=headers, timeout=timeout)
        try:
            payload = r.json()
        except ValueError:
            payload = None
        return r.status_code, dict(r.headers), payload

    return post


def flask_transport(client: Any) -> Transport:
    def post(path: str, body: dict, token: str | None) -> tuple[int, dict, Any]:
        headers = {"Sodoan-Protocol": "1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = client.post("/api/v1" + path, json=body, headers=headers)
        return r.status_code, dict(r.headers), r.get_json(silent=True)

    return post


class Unavailable(Exception):
    """The server answered 5xx: try the same again later (the outbox is untouched)."""


@dataclass
class FieldPhone:
    post: Transport
    username: str
    password: str
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token: str | None = None
    next_n: int = 1
    cursor: str | None = None
    reference: str | None = None
    #: id → {"version", "record", "deleted"} as the phone holds it.
    store: dict[str, dict] = field(default_factory=dict)
    outbox: list[dict] = field(default_factory=list)
    #: id → the server's copy set aside while entries of the record wait.
    aside: dict[str, dict] = field(default_factory=dict)
    rejected: dict[str, dict] = field(default_factory=dict)
    resyncs: int = 0
    home_unit_id: int | None = None

    # -- the person's actions: written locally, nothing waits on the network ---------------
    def sign_in(self) -> None:
        status, _h, body = self.post(
            "/devices",
            {
                "username": self.username,
                "password": self.password,
                "device_id": self.device_id,
                "device_name": f"phone of {self.username}",
            },
            None,
        )
        assert status == 201, (status, body)
        self.token = body["token"]
        self.home_unit_id = body["user"]["unit_id"]

    def _queue(self, op: str, rid: str, record: dict | None, changed: list | None) -> None:
        held = self.store.get(rid)
        entry = {
            "n": self.next_n,
            "collection": "activities",
            "op": op,
            "id": rid,
            "base_version": held["version"] if held else None,
        }
        if record is not None:
            entry["record"] = dict(record)
        if changed is not None:
            entry["changed"] = list(changed)
        self.next_n += 1
        self.outbox.append(entry)

    def create(self, record: dict) -> str:
        rid = str(uuid.uuid4())
        self._queue("upsert", rid, record, None)
        self.store[rid] = {"version": None, "record": dict(record)}
        return rid

    def edit(self, rid: str, **changes: Any) -> None:
        record = {**self.store[rid]["record"], **changes}
        self._queue("upsert", rid, record, sorted(changes))
        self.store[rid] = {**self.store[rid], "record": record}

    def delete(self, rid: str) -> None:
        self._queue("delete", rid, None, None)
        self.store.pop(rid, None)

    # -- sync ---------------------------------------------------------------------------
    def sync(self) -> None:
        self.push_all()
        self.pull_all()

    def push_all(self) -> None:
        renumbered = False
        while self.outbox:
            batch = self.outbox[:BATCH]
            status, _h, body = self.post(
                "/sync/push", {"device_id": self.device_id, "mutations": batch}, self.token
            )
            if status == 409 and body["code"] in ("mutation_gap", "mutation_mismatch"):
                assert not renumbered, body
                renumbered = True
                for i, entry in enumerate(self.outbox):
                    entry["n"] = body["expected"] + i
                self.next_n = body["expected"] + len(self.outbox)
                continue
            if status >= 500:
                raise Unavailable(status, body)
            assert status == 200, (status, body)
            self._acknowledge(body["results"])

    def _acknowledge(self, results: list[dict]) -> None:
        by_n = {r["n"]: r for r in results}
        answered = [e for e in self.outbox if e["n"] in by_n]
        self.outbox = [e for e in self.outbox if e["n"] not in by_n]
        for entry in answered:
            r = by_n[entry["n"]]
            rid = entry["id"]
            if r["status"] == "rejected":
                self.rejected[rid] = {"entry": entry, "reason": r["reason"]}
                continue
            if r["status"] == "already_applied" or r.get("version") is None:
                continue
            if r.get("deleted"):
                self.store.pop(rid, None)
                continue
            record = r.get("record") or entry.get("record")
            if any(e["id"] == rid for e in self.outbox):
                self.aside[rid] = {"version": r["version"], "record": record}
            elif record is not None:
                self.store[rid] = {"version": r["version"], "record": record}
        self._settle()

    def _settle(self) -> None:
        """Copies set aside come in once the record has nothing left waiting."""
        for rid in list(self.aside):
            if any(e["id"] == rid for e in self.outbox):
                continue
            copy = self.aside.pop(rid)
            held = self.store.get(rid)
            if copy.get("deleted"):
                self.store.pop(rid, None)
            elif held is None or (held["version"] or 0) <= copy["version"]:
                self.store[rid] = {"version": copy["version"], "record": copy["record"]}

    def pull_all(self, limit: int = 500) -> None:
        while True:
            body = {
                "device_id": self.device_id,
                "cursor": self.cursor,
                "limit": limit,
                "reference": self.reference,
                "outbox": {"count": len(self.outbox), "oldest": None},
            }
            status, _h, page = self.post("/sync/pull", body, self.token)
            if status == 409 and page["code"] == "resync_required":
                self.resync()
                continue
            if status >= 500:
                raise Unavailable(status, page)
            assert status == 200, (status, page)
            for c in page["changes"]:
                self._take(c)
            if "reference" in page:
                self.reference = page["reference"]["hash"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                self._settle()
                return

    def _take(self, change: dict) -> None:
        rid = change["id"]
        copy = {
            "version": change["version"],
            "record": change["record"],
            "deleted": change["deleted"],
        }
        if any(e["id"] == rid for e in self.outbox) or rid in self.rejected:
            self.aside[rid] = copy
            return
        held = self.store.get(rid)
        if held is not None and (held["version"] or 0) > change["version"]:
            return
        if change["deleted"]:
            self.store.pop(rid, None)
        else:
            self.store[rid] = {"version": change["version"], "record": change["record"]}

    def resync(self) -> None:
        """PROTOCOL §5: push while it can, keep what waits, forget the rest, download."""
        self.resyncs += 1
        self.push_all()
        keep = {e["id"] for e in self.outbox} | set(self.rejected)
        self.store = {rid: v for rid, v in self.store.items() if rid in keep}
        self.aside.clear()
        self.cursor = None
