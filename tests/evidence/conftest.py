"""Fixtures for evidence photos: a real S3-speaking server (moto in server mode, an HTTP
server on a free port of this machine) and apps whose photo store is a temporary
directory or a bucket of that server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from server.evidence.storage import LocalStorage, S3Storage, Storage, s3_client
from tests.server.signin import free_port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_config(endpoint: str) -> dict[str, str]:
    """Settings for a fresh bucket on the test server (made here)."""
    config = {
        "EVIDENCE_STORAGE": "s3",
        "EVIDENCE_S3_ENDPOINT_URL": endpoint,
        "EVIDENCE_S3_BUCKET": f"evidence-{uuid.uuid4().hex[:12]}",
        "EVIDENCE_S3_REGION": "us-east-1",
        "EVIDENCE_S3_ACCESS_KEY_ID": "testing",
        "EVIDENCE_S3_SECRET_ACCESS_KEY": "testing",
    }
    s3_client(config).create_bucket(Bucket=config["EVIDENCE_S3_BUCKET"])
    return config


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    config = s3_config(request.getfixturevalue("s3_endpoint"))
    return S3Storage(s3_client(config), config["EVIDENCE_S3_BUCKET"], "photos/")
