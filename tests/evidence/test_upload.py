"""Resumable uploads of evidence photos over the API (PROTOCOL §9): interrupted and
resumed, refused with their codes, verified, re-encoded without metadata, deduplicated,
and served to the branch only."""

from __future__ import annotations

import gzip
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from server.extensions import db
from server.models import Unit
from tests import factories as f
from tests.evidence.photos import (
    ev_mutation,
    headers,
    jpeg,
    patch,
    png_bomb,
    record,
    sha,
    status,
    stripes,
    upload,
)
from tests.world import activity_record

PHOTO = jpeg(900, 600)
CHUNK = 32 * 1024


def _made(phone, world, data=PHOTO, unit="b1", **changes):
    """An activity and a photo record of it, pushed; the photo's id."""
    aid, eid = uuid.uuid4(), uuid.uuid4()
    results = phone.push(
        phone.mutation("upsert", aid, activity_record(world.ids[unit])),
        ev_mutation(phone, "upsert", eid, record(aid, data, **changes)),
    )["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    return eid


def _files(world, prefix: str) -> list[Path]:
    root = Path(world.app.config["EVIDENCE_DIR"]) / prefix
    return sorted(root.iterdir()) if root.is_dir() else []


def test_a_photo_goes_up_in_chunks_and_comes_back_re_encoded_without_metadata(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    eid = _made(hoa, world)
    assert status(hoa, eid).get_json() == {"offset": 0, "size": len(PHOTO), "complete": False}
    assert upload(hoa, eid, PHOTO) == {"offset": len(PHOTO), "size": len(PHOTO), "complete": True}
    # Another device of the branch learns it by pull, and gets the file and thumbnail.
    lan.sync_down()
    got = lan.store[str(eid)]
    assert got["stored"] is True and (got["stored_width"], got["stored_height"]) == (900, 600)
    resp = lan.client.get(f"/api/v1/evidence/{eid}/file", headers=headers(lan))
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert len(resp.data) == got["stored_size"]
    assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(resp.data))
    assert image.size == (900, 600) and not image.getexif() and "exif" not in image.info
    assert Image.open(io.BytesIO(PHOTO)).getexif().get(0x8825)  # the phone's had GPS
    thumb = lan.client.get(f"/api/v1/evidence/{eid}/thumb", headers=headers(lan))
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 213)
    again = lan.client.get(
        f"/api/v1/evidence/{eid}/file",
        headers=headers(lan, **{"If-None-Match": resp.headers["ETag"]}),
    )
    assert again.status_code == 304 and again.data == b""


def test_resumes_between_chunks_and_after_a_lost_answer(world):
    hoa = world.phone("hoa")
    eid = _made(hoa, world)
    for offset in (0, CHUNK):
        assert patch(hoa, eid, offset, PHOTO[offset : offset + CHUNK]).status_code == 200
    # The phone lost its place (restart): the server says where it stands.
    assert status(hoa, eid).get_json()["offset"] == 2 * CHUNK
    # A resend of a chunk whose answer was lost: nothing written, the offset told.
    resent = patch(hoa, eid, CHUNK, PHOTO[CHUNK : 2 * CHUNK])
    assert resent.status_code == 409 and resent.get_json()["code"] == "offset_mismatch"
    assert resent.get_json()["offset"] == 2 * CHUNK
    # Out of order: refused the same way, nothing written.
    ahead = patch(hoa, eid, 3 * CHUNK, PHOTO[3 * CHUNK : 4 * CHUNK])
    assert ahead.status_code == 409 and ahead.get_json()["offset"] == 2 * CHUNK
    # The last chunk's answer lost: sent again, it is answered complete.
    last = len(PHOTO) - (len(PHOTO) - 2 * CHUNK) % CHUNK
    while (offset := status(hoa, eid).get_json()["offset"]) < last:
        assert patch(hoa, eid, offset, PHOTO[offset : offset + CHUNK]).status_code == 200
    assert patch(hoa, eid, last, PHOTO[last:]).get_json()["complete"] is True
    again = patch(hoa, eid, last, PHOTO[last:])
    assert again.status_code == 200 and again.get_json()["complete"] is True
    assert status(hoa, eid).get_json()["complete"] is True
    assert len(_files(world, "img")) == 1 and len(_files(world, "thumb")) == 1


def _refused(resp, status_code: int, code: str) -> dict:
    body = resp.get_json()
    assert resp.status_code == status_code and body["code"] == code, body
    assert body["message"] and body["message_en"]
    return body


def test_a_wrong_hash_is_refused_and_the_upload_starts_again(world):
    hoa = world.phone("hoa")
    wrong = bytearray(PHOTO)
    wrong[-100] ^= 0xFF
    eid = _made(hoa, world)
    assert patch(hoa, eid, 0, bytes(wrong[:CHUNK])).status_code == 200
    _refused(patch(hoa, eid, CHUNK, bytes(wrong[CHUNK:])), 422, "hash_mismatch")
    assert status(hoa, eid).get_json()["offset"] == 0
    # The right bytes then go up.
    assert upload(hoa, eid, PHOTO)["complete"] is True


@pytest.mark.parametrize(
    "data, code",
    [
        (b"%PDF-1.4 " + bytes(range(256)) * 20, "not_an_image"),
        (PHOTO[: len(PHOTO) // 2], "not_an_image"),  # a JPEG cut short
        (png_bomb(12_000), "image_too_large"),  # 144 MP: Pillow's own bomb guard
        (png_bomb(7_000), "image_too_large"),  # 49 MP: over the 40 MP limit
    ],
)
def test_what_is_not_an_acceptable_image_is_refused(world, data, code):
    hoa = world.phone("hoa")
    eid = _made(hoa, world, data)
    resp = patch(hoa, eid, 0, data)
    _refused(resp, 422, code)
    assert status(hoa, eid).get_json() == {"offset": 0, "size": len(data), "complete": False}
    assert _files(world, "img") == []


def test_bytes_beyond_the_declared_size_and_an_oversized_chunk_are_refused(world):
    hoa = world.phone("hoa")
    eid = _made(hoa, world)
    _refused(patch(hoa, eid, 0, PHOTO + b"xx"), 422, "upload_too_large")
    body = _refused(patch(hoa, eid, 0, b"x" * (1024 * 1024 + 1)), 413, "body_too_large")
    assert body["limit_bytes"] == 1024 * 1024
    assert status(hoa, eid).get_json()["offset"] == 0


def test_headers_of_an_upload_are_checked(world):
    hoa = world.phone("hoa")
    eid = _made(hoa, world)
    for bad in ("", "-1", "1.5", "abc", "99999999999"):
        _refused(patch(hoa, eid, 0, b"", **{"Upload-Offset": bad}), 400, "bad_offset")
    url = f"/api/v1/evidence/{eid}/upload"
    plain = headers(hoa, **{"Upload-Offset": "0", "Content-Type": "image/jpeg"})
    _refused(hoa.client.patch(url, data=PHOTO[:10], headers=plain), 415, "unsupported_media_type")
    _refused(
        patch(hoa, eid, 0, gzip.compress(PHOTO[:CHUNK]), **{"Content-Encoding": "gzip"}),
        415,
        "unsupported_encoding",
    )
    assert status(hoa, eid).get_json()["offset"] == 0


def test_another_branchs_photo_is_not_found_for_upload_or_reading(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    eid = _made(hoa, world)
    upload(hoa, eid, PHOTO)
    _refused(status(minh, eid), 404, "not_found")
    _refused(patch(minh, eid, 0, PHOTO[:CHUNK]), 404, "not_found")
    for kind in ("file", "thumb"):
        resp = minh.client.get(f"/api/v1/evidence/{eid}/{kind}", headers=headers(minh))
        _refused(resp, 404, "not_found")
    # Nor is a photo whose activity was deleted.
    _refused(status(hoa, uuid.uuid4()), 404, "not_found")


def test_staff_read_their_subtree_and_not_another_district(world):
    with world.app.app_context():
        f.user("xa", db.session.get(Unit, world.ids["other"]), role="unit_staff")
        db.session.commit()
    hoa, canbo, xa = world.phone("hoa"), world.phone("canbo"), world.phone("xa")
    eid = _made(hoa, world)
    upload(hoa, eid, PHOTO)
    ok = canbo.client.get(f"/api/v1/evidence/{eid}/thumb", headers=headers(canbo))
    assert ok.status_code == 200 and ok.mimetype == "image/jpeg"
    _refused(xa.client.get(f"/api/v1/evidence/{eid}/thumb", headers=headers(xa)), 404, "not_found")
    # Staff read, they do not upload a branch's photo.
    other = _made(hoa, world, jpeg(50, 50, seed=9))
    _refused(patch(canbo, other, 0, b"x"), 404, "not_found")


def test_the_same_photo_in_a_branch_needs_no_bytes_and_is_stored_once(world):
    hoa, lan, minh = world.phone("hoa"), world.phone("lan"), world.phone("minh")
    first = _made(hoa, world)
    upload(hoa, first, PHOTO)
    second = _made(lan, world)
    assert status(lan, second).get_json() == {
        "offset": len(PHOTO),
        "size": len(PHOTO),
        "complete": True,
    }
    # Another branch uploads the same bytes: its own record, the same stored file.
    third = _made(minh, world, unit="b2")
    assert status(minh, third).get_json()["complete"] is False
    upload(minh, third, PHOTO)
    assert len(_files(world, "img")) == 1 and len(_files(world, "thumb")) == 1
    lan.sync_down()
    assert lan.store[str(second)]["stored"] is True


def test_a_photo_that_would_pass_the_quota_once_stored_is_refused(world):
    # A small PNG of stripes grows when the server makes it a JPEG.
    small = stripes()
    world.app.config["EVIDENCE_QUOTA_BYTES"] = len(small) + 100
    hoa = world.phone("hoa")
    eid = _made(hoa, world, small)
    body = _refused(patch(hoa, eid, 0, small), 409, "quota_exceeded")
    assert "dung lượng" in body["message"]
    assert status(hoa, eid).get_json()["offset"] == 0


def test_a_webp_stays_webp_and_a_png_becomes_jpeg(world):
    hoa = world.phone("hoa")
    for fmt, expected in (("WEBP", "image/webp"), ("PNG", "image/jpeg")):
        out = io.BytesIO()
        Image.new("RGBA", (64, 48), (10, 200, 30, 128)).save(out, fmt)
        data = out.getvalue()
        eid = _made(hoa, world, data, width=64, height=48)
        upload(hoa, eid, data)
        resp = hoa.client.get(f"/api/v1/evidence/{eid}/file", headers=headers(hoa))
        assert resp.mimetype == expected
        assert Image.open(io.BytesIO(resp.data)).format == expected.split("/")[1].upper()


def test_an_upload_before_the_record_was_pushed_is_not_found(world):
    hoa = world.phone("hoa")
    _refused(patch(hoa, uuid.uuid4(), 0, PHOTO[:CHUNK]), 404, "not_found")
    assert sha(PHOTO)  # the bytes stay on the phone until their record is acknowledged


def test_reclaiming_removes_the_files_of_deleted_photos_and_keeps_shared_ones(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    other = jpeg(300, 200, seed=7)
    kept, shared = _made(hoa, world), _made(minh, world, unit="b2")
    gone = _made(hoa, world, other)
    for phone, eid, data in ((hoa, kept, PHOTO), (minh, shared, PHOTO), (hoa, gone, other)):
        upload(phone, eid, data)
    partial = _made(hoa, world, jpeg(200, 100, seed=8))
    assert patch(hoa, partial, 0, b"\xff\xd8").status_code == 200
    # The photos of one record and one partial upload lose their records.
    hoa.push(ev_mutation(hoa, "delete", gone, base_version=2))
    hoa.push(ev_mutation(hoa, "delete", partial, base_version=1))
    assert len(_files(world, "img")) == 2
    runner = world.app.test_cli_runner()
    young = runner.invoke(args=["reclaim-evidence"])  # the files are too young yet
    assert "removed 0 stored file(s) and 1 partial upload(s)" in young.output
    dry = runner.invoke(args=["reclaim-evidence", "--grace-seconds", "0", "--dry-run"])
    assert "would remove 2 stored file(s)" in dry.output and len(_files(world, "img")) == 2
    done = runner.invoke(args=["reclaim-evidence", "--grace-seconds", "0"])
    assert "removed 2 stored file(s)" in done.output, done.output
    # The file the two branches share stays, and is still served.
    assert len(_files(world, "img")) == 1 and len(_files(world, "thumb")) == 1
    for phone, eid in ((hoa, kept), (minh, shared)):
        resp = phone.client.get(f"/api/v1/evidence/{eid}/file", headers=headers(phone))
        assert resp.status_code == 200
    uploads = Path(world.app.config["EVIDENCE_UPLOAD_DIR"])
    assert list(uploads.glob("*.part")) == []
