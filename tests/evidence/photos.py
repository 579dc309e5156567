"""Photos and records for the evidence tests: real images made with Pillow, a phone's
JPEG with its GPS position in EXIF, and files that only pretend to be images."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

from PIL import Image

from tests.world import HEADERS, Phone

UPLOAD_TYPE = "application/offset+octet-stream"


def jpeg(width: int = 900, height: int = 600, *, seed: int = 1, quality: int = 80) -> bytes:
    """A photo-like JPEG (noise over a gradient) carrying a camera make and a GPS fix."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (width, height))
    img.putdata(
        [
            ((x * 255) // width, (y * 255) // height, rnd.randrange(256))
            for y in range(height)
            for x in range(width)
        ]
    )
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (22.0, 40.0, 0.0), 3: "E", 4: (106.0, 15.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png_bomb(side: int = 12_000) -> bytes:
    """A few kilobytes of PNG that would decode to ``side``² pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def stripes(width: int = 600, height: int = 400) -> bytes:
    """A PNG of one-pixel stripes: about a kilobyte, and many times that as a JPEG."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    for y in range(0, height, 2):
        img.paste((0, 0, 0), (0, y, width, y + 1))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record(activity_id: Any, data: bytes, **changes: Any) -> dict[str, Any]:
    out = {
        "activity_id": str(activity_id),
        "sha256": sha(data),
        "size": len(data),
        "content_type": "image/jpeg",
        "width": 900,
        "height": 600,
        "captured_at": "2026-11-21T09:31:00+07:00",
        "caption": "Các đoàn viên dọn vệ sinh",
    }
    out.update(changes)
    return out


def ev_mutation(phone: Phone, op: str, record_id: Any, rec: dict | None = None, **kw) -> dict:
    m = phone.mutation(op, record_id, rec, **kw)
    m["collection"] = "evidence"
    return m


def headers(phone: Phone, **extra: str) -> dict[str, str]:
    return {**HEADERS, "Authorization": f"Bearer {phone.token}", **extra}


def status(phone: Phone, evidence_id: Any):
    return phone.client.get(f"/api/v1/evidence/{evidence_id}/upload", headers=headers(phone))


def patch(phone: Phone, evidence_id: Any, offset: int, chunk: bytes, **extra: str):
    hdrs = headers(phone, **{"Upload-Offset": str(offset), "Content-Type": UPLOAD_TYPE, **extra})
    return phone.client.patch(f"/api/v1/evidence/{evidence_id}/upload", data=chunk, headers=hdrs)


def upload(phone: Phone, evidence_id: Any, data: bytes, chunk: int = 32 * 1024) -> dict:
    """Upload from wherever the server stands, chunk by chunk; the last answer."""
    answer = status(phone, evidence_id).get_json()
    while not answer["complete"]:
        offset = answer["offset"]
        resp = patch(phone, evidence_id, offset, data[offset : offset + chunk])
        assert resp.status_code == 200, resp.get_json()
        answer = resp.get_json()
    return answer
