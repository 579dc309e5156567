"""An upload cut at every point that matters, under real gunicorn over real sockets: in
the middle of a chunk (part of its bytes sent, then the connection closed), between
chunks, and after the last chunk before its answer was read. Each time the upload
resumes from the server's offset and ends complete, which the server only says after the
whole file's SHA-256 matched the record: the exact bytes."""

from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import requests

from tests import factories as f
from tests.evidence.photos import UPLOAD_TYPE, jpeg, record
from tests.server.signin import gunicorn
from tests.world import HEADERS, activity_record

PHOTO = jpeg(1000, 700, seed=5)
CHUNK = 32 * 1024


class Device:
    def __init__(self, base: str, username: str) -> None:
        self.base, self.id, self.n = base, uuid.uuid4(), 1
        resp = requests.post(
            base + "/api/v1/devices",
            headers=HEADERS,
            json={"username": username, "password": f.PASSWORD, "device_id": str(self.id)},
            timeout=60,
        )
        assert resp.status_code == 201, resp.text
        self.token = resp.json()["token"]
        self.headers = {**HEADERS, "Authorization": f"Bearer {self.token}"}

    def push(self, *mutations: dict) -> list[dict]:
        body = {"device_id": str(self.id), "mutations": list(mutations)}
        resp = requests.post(
            self.base + "/api/v1/sync/push", headers=self.headers, json=body, timeout=60
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["results"]

    def mutation(self, collection: str, record_id, rec: dict) -> dict:
        self.n += 1
        return {
            "n": self.n - 1,
            "collection": collection,
            "op": "upsert",
            "id": str(record_id),
            "base_version": None,
            "record": rec,
        }

    def state(self, eid) -> dict:
        url = f"{self.base}/api/v1/evidence/{eid}/upload"
        resp = requests.get(url, headers=self.headers, timeout=60)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def patch(self, eid, offset: int, chunk: bytes) -> requests.Response:
        hdrs = {**self.headers, "Upload-Offset": str(offset), "Content-Type": UPLOAD_TYPE}
        url = f"{self.base}/api/v1/evidence/{eid}/upload"
        return requests.patch(url, headers=hdrs, data=chunk, timeout=60)

    def cut(self, eid, offset: int, chunk: bytes, sent: int) -> None:
        """Send a PATCH whose body is ``chunk`` but only its first ``sent`` bytes, then
        close the connection without reading any answer."""
        where = urlsplit(self.base)
        head = (
            f"PATCH /api/v1/evidence/{eid}/upload HTTP/1.1\r\n"
            f"Host: {where.netloc}\r\n"
            f"Sodoan-Protocol: 1\r\nAuthorization: Bearer {self.token}\r\n"
            f"Upload-Offset: {offset}\r\nContent-Type: {UPLOAD_TYPE}\r\n"
            f"Content-Length: {len(chunk)}\r\nConnection: close\r\n\r\n"
        )
        with socket.create_connection((where.hostname, where.port), timeout=30) as s:
            s.sendall(head.encode() + chunk[:sent])
            s.shutdown(socket.SHUT_WR)


def _until(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.1)


def test_an_upload_cut_anywhere_resumes_and_ends_with_the_exact_bytes(
    world, database_uri, tmp_path
):
    env = {
        "EVIDENCE_DIR": str(tmp_path / "store"),
        "EVIDENCE_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    # One worker: a request is served after the one sent before it, so the state read
    # after a cut is the state after that cut was handled.
    with gunicorn(database_uri, tmp_path, workers=1, env=env) as base:
        hoa, lan = Device(base, "hoa"), Device(base, "lan")
        aid, eid = uuid.uuid4(), uuid.uuid4()
        results = hoa.push(
            hoa.mutation("activities", aid, activity_record(world.ids["b1"])),
            hoa.mutation("evidence", eid, record(aid, PHOTO, width=1000, height=700)),
        )
        assert [r["status"] for r in results] == ["applied", "applied"]

        # Cut in the middle of the first chunk: nothing of it is kept.
        hoa.cut(eid, 0, PHOTO[:CHUNK], sent=CHUNK // 2)
        assert hoa.state(eid)["offset"] == 0
        # Two whole chunks, then the phone stops (between chunks).
        for offset in (0, CHUNK):
            assert hoa.patch(eid, offset, PHOTO[offset : offset + CHUNK]).status_code == 200
        assert hoa.state(eid) == {"offset": 2 * CHUNK, "size": len(PHOTO), "complete": False}
        # Cut in the middle of the third chunk, with one byte missing.
        third = PHOTO[2 * CHUNK : 3 * CHUNK]
        hoa.cut(eid, 2 * CHUNK, third, sent=len(third) - 1)
        assert hoa.state(eid)["offset"] == 2 * CHUNK
        # Resume from the server's offset up to the last chunk.
        last = len(PHOTO) - (len(PHOTO) % CHUNK or CHUNK)
        while (offset := hoa.state(eid)["offset"]) < last:
            assert hoa.patch(eid, offset, PHOTO[offset : offset + CHUNK]).status_code == 200
        # The last chunk arrives whole, but its answer is never read.
        hoa.cut(eid, last, PHOTO[last:], sent=len(PHOTO) - last)
        _until(lambda: hoa.state(eid)["complete"])
        # The phone, not knowing, sends it again: told it is complete.
        again = hoa.patch(eid, last, PHOTO[last:])
        assert again.status_code == 200 and again.json()["complete"] is True

        # Another device of the branch pulls it stored and reads the file.
        pulled = requests.post(
            base + "/api/v1/sync/pull",
            headers=lan.headers,
            json={"device_id": str(lan.id), "cursor": None, "limit": 100, "reference": None},
            timeout=60,
        ).json()
        got = {c["id"]: c["record"] for c in pulled["changes"]}[str(eid)]
        assert got["stored"] is True and got["sha256"] == record(aid, PHOTO)["sha256"]
        image = requests.get(f"{base}/api/v1/evidence/{eid}/file", headers=lan.headers, timeout=60)
        assert image.status_code == 200 and len(image.content) == got["stored_size"]
    # Nothing of the upload is left behind.
    assert list((tmp_path / "uploads").glob("*.part")) == []
