"""The same upload with the photo store in an S3 bucket (moto in server mode: a real
S3-speaking HTTP server on this machine), as production with MinIO or a cloud."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from server.evidence.storage import s3_client
from tests.evidence.conftest import s3_config
from tests.evidence.photos import ev_mutation, headers, jpeg, record, upload
from tests.world import activity_record

PHOTO = jpeg(700, 500, seed=11)


@pytest.fixture
def evidence_config(tmp_path, s3_endpoint):
    return {**s3_config(s3_endpoint), "EVIDENCE_UPLOAD_DIR": str(tmp_path / "uploads")}


def test_a_photo_is_stored_in_the_bucket_and_served_from_it(world, evidence_config):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    aid, eid = uuid.uuid4(), uuid.uuid4()
    hoa.push(
        hoa.mutation("upsert", aid, activity_record(world.ids["b1"])),
        ev_mutation(hoa, "upsert", eid, record(aid, PHOTO, width=700, height=500)),
    )
    assert upload(hoa, eid, PHOTO, chunk=64 * 1024)["complete"] is True
    bucket = evidence_config["EVIDENCE_S3_BUCKET"]
    listed = s3_client(evidence_config).list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"].split("/")[0] for o in listed) == ["img", "thumb"]
    resp = lan.client.get(f"/api/v1/evidence/{eid}/file", headers=headers(lan))
    assert resp.status_code == 200 and Image.open(io.BytesIO(resp.data)).size == (700, 500)
    thumb = lan.client.get(f"/api/v1/evidence/{eid}/thumb", headers=headers(lan))
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 229)
