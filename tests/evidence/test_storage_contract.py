"""The storage contract: what the app asks of a photo store. Both backends pass the same
tests, the S3 one against a real S3-speaking server on this machine (moto in server
mode)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from server.evidence.storage import NotStored, Storage, check_key


class Counted(io.RawIOBase):
    """A stream of ``total`` pseudo-random bytes that counts the largest read asked of it:
    a store that copied it into memory whole would ask for everything at once."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0
        self.largest = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.total - self.sent)
        self.largest = max(self.largest, len(buffer))
        block = hashlib.sha256(str(self.sent).encode()).digest() * (n // 32 + 1)
        buffer[:n] = block[:n]
        self.digest.update(block[:n])
        self.sent += n
        return n


def _read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as stream:
        return stream.read()


def test_put_then_open_gives_the_same_bytes(storage):
    data = os.urandom(70_000)
    storage.put("img/abc.jpg", io.BytesIO(data))
    assert storage.exists("img/abc.jpg")
    assert storage.size("img/abc.jpg") == len(data)
    assert _read(storage, "img/abc.jpg") == data


def test_an_empty_object_is_an_object(storage):
    storage.put("img/empty.jpg", io.BytesIO(b""))
    assert storage.exists("img/empty.jpg") and storage.size("img/empty.jpg") == 0


def test_put_replaces(storage):
    storage.put("thumb/x.jpg", io.BytesIO(b"first"))
    storage.put("thumb/x.jpg", io.BytesIO(b"second, longer"))
    assert _read(storage, "thumb/x.jpg") == b"second, longer"


def test_a_missing_key_is_not_stored(storage):
    assert not storage.exists("img/none.jpg")
    with pytest.raises(NotStored):
        storage.open("img/none.jpg")
    with pytest.raises(NotStored):
        storage.size("img/none.jpg")


def test_delete_is_idempotent(storage):
    storage.put("img/d.jpg", io.BytesIO(b"x"))
    storage.delete("img/d.jpg")
    storage.delete("img/d.jpg")
    assert not storage.exists("img/d.jpg")


def test_keys_lists_by_prefix(storage):
    for key in ("img/a.jpg", "img/b.webp", "thumb/a.jpg"):
        storage.put(key, io.BytesIO(key.encode()))
    assert storage.keys("img/") == ["img/a.jpg", "img/b.webp"]
    assert storage.keys() == ["img/a.jpg", "img/b.webp", "thumb/a.jpg"]
    # Just written: not among the keys written at least an hour ago.
    assert storage.keys("img/", older_than=3600) == []


def test_a_big_object_streams_in_blocks_both_ways(storage):
    source = Counted(9 * 1024 * 1024)  # past boto3's multipart threshold
    storage.put("img/big.jpg", source)
    assert source.largest <= 8 * 1024 * 1024 < source.total
    digest = hashlib.sha256()
    with storage.open("img/big.jpg") as stream:
        while block := stream.read(64 * 1024):
            digest.update(block)
    assert digest.hexdigest() == source.digest.hexdigest()
    assert storage.size("img/big.jpg") == source.total


@pytest.mark.parametrize(
    "key", ["../x", "img/../../etc/passwd", "/abs", "Img/X.jpg", "a//b", "", "a/.hidden/b"]
)
def test_keys_cannot_leave_the_store(storage, key):
    with pytest.raises(ValueError):
        check_key(key)
    with pytest.raises(ValueError):
        storage.put(key, io.BytesIO(b"x"))
