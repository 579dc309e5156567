"""Where evidence photos live: a small storage interface with two backends.

Photos are written once and read many times, by key; nothing else is asked of a store, so
the interface is five calls and any S3-speaking service (MinIO, a cloud) can stand in for
the local directory. Files travel as streams: a store never needs a whole photo in memory,
and a ZIP of a unit's evidence (hundreds of photos) reads one at a time.

Keys are content addresses made by the app (``img/<sha256>.jpg``); they are checked here
all the same, so a key can never climb out of the directory.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

#: Lowercase letters, digits, dots, dashes, underscores and single slashes; no ``..``.
_KEY = re.compile(r"^[a-z0-9_-][a-z0-9._-]*(/[a-z0-9_-][a-z0-9._-]*)*$")
#: Bytes read at a time when a stream is copied.
BLOCK = 64 * 1024


class NotStored(KeyError):
    """No object under that key."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key or len(key) > 200:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(ABC):
    """A store of immutable objects by key. ``put`` is atomic: a reader sees the whole
    object or none, and once ``put`` returns the object is durable."""

    @abstractmethod
    def put(self, key: str, stream: BinaryIO) -> None:
        """Store what ``stream`` holds (read to its end) under ``key``, replacing any."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object (the caller closes it); :class:`NotStored`."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there is not an error."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Bytes of the object; :class:`NotStored`."""

    @abstractmethod
    def keys(self, prefix: str = "", older_than: float = 0) -> list[str]:
        """Every key starting with ``prefix``, written at least ``older_than`` seconds
        ago (reclaiming orphaned files leaves the ones being written alone)."""


class LocalStorage(Storage):
    """A directory (by default under ``instance/``). Written to a temporary file in the
    same directory, fsynced, then renamed into place: a crash leaves the old object or the
    new one, never half of one."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, stream: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, BLOCK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise NotStored(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise NotStored(key) from None

    def keys(self, prefix: str = "", older_than: float = 0) -> list[str]:
        if not self.root.is_dir():
            return []
        before = time.time() - older_than
        found = (
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime <= before
        )
        return sorted(k for k in found if k.startswith(prefix))


class S3Storage(Storage):
    """A bucket of an S3-compatible object store, through boto3. ``put`` streams the
    object up (boto3 switches to a multipart upload past 8 MB); an object store makes
    each object visible whole or not at all."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, stream: BinaryIO) -> None:
        self.client.upload_fileobj(stream, self.bucket, self._name(key))

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise NotStored(key) from None
        return answer["Body"]

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise NotStored(key)
        return int(head["ContentLength"])

    def keys(self, prefix: str = "", older_than: float = 0) -> list[str]:
        out: list[str] = []
        before = datetime.now(UTC) - timedelta(seconds=older_than)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            out += [
                o["Key"][len(self.prefix) :]
                for o in page.get("Contents", [])
                if o["LastModified"] <= before
            ]
        return sorted(out)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (the directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def s3_client(config: dict[str, Any]) -> Any:
    """A boto3 client from the app's configuration; keys come from the environment
    (``EVIDENCE_S3_ACCESS_KEY_ID``/``…SECRET_ACCESS_KEY``, or boto3's own
    ``AWS_ACCESS_KEY_ID``… chain when those are unset)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=config.get("EVIDENCE_S3_ENDPOINT_URL") or None,
        region_name=config.get("EVIDENCE_S3_REGION") or "us-east-1",
        aws_access_key_id=config.get("EVIDENCE_S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            s3={"addressing_style": "path"},
        ),
    )


def storage_for(config: dict[str, Any]) -> Storage:
    """The store the configuration names (``EVIDENCE_STORAGE``: ``local`` or ``s3``)."""
    if config.get("EVIDENCE_STORAGE") == "s3":
        return S3Storage(
            s3_client(config), config["EVIDENCE_S3_BUCKET"], config.get("EVIDENCE_S3_PREFIX", "")
        )
    return LocalStorage(config["EVIDENCE_DIR"])
