"""Resumable uploads of evidence photos (PROTOCOL §9): chunks appended to a partial file
on local disk, each fsynced before it is acknowledged, the whole file checked against the
record's SHA-256, decoded and re-encoded, then stored under content-addressed keys.

Partial uploads stay on the app server's disk (``EVIDENCE_UPLOAD_DIR``), not in the
object store: S3 multipart parts must be at least 5 MB (all but the last), and a phone on
2G sends 32 KiB. A chunk is appended under an exclusive lock on the record's lock file, so
two requests for one photo (a retry racing its original, two workers) are applied one
after the other and the second finds the offset moved (``offset_mismatch``).

The server's files are keyed by the SHA-256 of the re-encoded bytes: the same photo
uploaded by two branches (or twice) is stored once. Deleting a record leaves its files
for :func:`reclaim` to remove once no live record points at them.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from sync.records import ServerChanges

from ..database import begin_writing
from ..extensions import db
from ..models import Activity
from ..models.evidence import Evidence
from ..models.types import utcnow
from .collection import EvidenceCollection, adopt_duplicate, quota_problem, quota_used
from .images import Refused, reencode
from .storage import BLOCK, Storage, storage_for


class UploadRefused(Exception):
    """An upload answer that is not a success: HTTP status, code, details."""

    def __init__(self, status: int, code: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message_en, self.details = status, code, message_en, details


def storage() -> Storage:
    """The app's photo store (made once per app)."""
    ext = current_app.extensions
    if "sodoan_evidence_storage" not in ext:
        ext["sodoan_evidence_storage"] = storage_for(current_app.config)
    return ext["sodoan_evidence_storage"]


def _dir() -> Path:
    path = Path(current_app.config["EVIDENCE_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def partial_path(evidence_id: uuid.UUID) -> Path:
    return _dir() / f"{evidence_id}.part"


@contextmanager
def locked(evidence_id: uuid.UUID) -> Iterator[None]:
    """Hold the record's upload lock (every worker process of this server honours it)."""
    with (_dir() / f"{evidence_id}.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def received(evidence_id: uuid.UUID) -> int:
    """Bytes of the partial upload held (all acknowledged: each append was fsynced)."""
    try:
        return partial_path(evidence_id).stat().st_size
    except FileNotFoundError:
        return 0


def state(ev: Evidence) -> dict[str, Any]:
    if ev.stored:
        return {"offset": ev.size, "size": ev.size, "complete": True}
    return {"offset": min(received(ev.id), ev.size), "size": ev.size, "complete": False}


def discard(evidence_id: uuid.UUID) -> None:
    partial_path(evidence_id).unlink(missing_ok=True)


def _mark_stored(evidence_id: uuid.UUID, fill: Any) -> Evidence | None:
    """Set the record's stored fields in a transaction of its own, as a server change
    every device pulls; None when the record went away meanwhile."""
    begin_writing(db.session())
    # The activity first, as every writer of it does (the push, a deleted activity's
    # photos): storing a photo settles the activity's ``proven`` flag under its lock, and
    # one order of locks means no deadlock with a push deleting the activity.
    activity_id = db.session.scalar(select(Evidence.activity_id).where(Evidence.id == evidence_id))
    if activity_id is not None:
        db.session.execute(select(Activity.id).where(Activity.id == activity_id).with_for_update())
    ev = db.session.scalars(
        select(Evidence).where(Evidence.id == evidence_id).with_for_update()
    ).first()
    if ev is None or ev.deleted_at is not None:
        db.session.rollback()
        return None
    if not ev.stored:
        if not fill(ev):
            db.session.rollback()
            return ev
        changes = ServerChanges(db.session(), EvidenceCollection())
        ev.updated_at = utcnow()
        changes.update(ev, [])
        changes.number()
    db.session.commit()
    return ev


def try_duplicate(ev: Evidence) -> Evidence:
    """A record whose bytes the branch already stores is complete at once."""
    if ev.stored:
        return ev
    return _mark_stored(ev.id, adopt_duplicate) or ev


def append(ev: Evidence, offset: int, chunk: bytes) -> dict[str, Any]:
    """Apply one chunk (the caller holds :func:`locked`); the answer's body, or
    :class:`UploadRefused`."""
    if ev.stored:
        # Already complete (an answer lost, the same chunk sent again): nothing to write.
        return state(ev)
    ev = try_duplicate(ev)
    if ev.stored:
        discard(ev.id)
        return state(ev)
    held = received(ev.id)
    if offset != held:
        raise UploadRefused(
            409,
            "offset_mismatch",
            f"Upload-Offset {offset} is not the server's offset {held}",
            offset=held,
            size=ev.size,
        )
    if held + len(chunk) > ev.size:
        discard(ev.id)
        raise UploadRefused(
            422, "upload_too_large", f"More bytes than the declared {ev.size}", size=ev.size
        )
    if chunk:
        with partial_path(ev.id).open("ab") as out:
            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    held += len(chunk)
    if held < ev.size:
        return {"offset": held, "size": ev.size, "complete": False}
    return _complete(ev)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _complete(ev: Evidence) -> dict[str, Any]:
    """Every byte is here: verify, decode, re-encode, store, mark."""
    path = partial_path(ev.id)
    if _digest(path) != ev.sha256:
        discard(ev.id)
        raise UploadRefused(422, "hash_mismatch", "The file's SHA-256 is not the record's")
    try:
        with path.open("rb") as stream:
            encoded = reencode(stream)
    except Refused as exc:
        discard(ev.id)
        raise UploadRefused(422, exc.code, exc.message_en) from None
    quota = current_app.config["EVIDENCE_QUOTA_BYTES"]
    if quota_used(ev.unit_id) - ev.size + len(encoded.data) > quota:
        discard(ev.id)
        found = quota_problem(quota)
        raise UploadRefused(409, "quota_exceeded", found["message_en"], message=found["message"])
    address = hashlib.sha256(encoded.data).hexdigest()
    ext = "webp" if encoded.content_type == "image/webp" else "jpg"
    key, thumb_key = f"img/{address}.{ext}", f"thumb/{address}.{ext}"
    store = storage()
    # Thumbnail first: a stored image always has its thumbnail.
    if not store.exists(thumb_key):
        store.put(thumb_key, io.BytesIO(encoded.thumb))
    if not store.exists(key):
        store.put(key, io.BytesIO(encoded.data))

    def fill(obj: Evidence) -> bool:
        obj.stored, obj.stored_key, obj.thumb_key = True, key, thumb_key
        obj.stored_type, obj.stored_size = encoded.content_type, len(encoded.data)
        obj.stored_width, obj.stored_height = encoded.width, encoded.height
        return True

    marked = _mark_stored(ev.id, fill)
    discard(ev.id)
    if marked is None:
        raise UploadRefused(404, "not_found", "The evidence record was deleted")
    return state(marked)


#: A stored file younger than this is left alone by :func:`reclaim`: an upload writes its
#: files a moment before its record names them.
RECLAIM_GRACE_SECONDS = 3600


def reclaim(dry_run: bool = False, grace: float = RECLAIM_GRACE_SECONDS) -> dict[str, int]:
    """Remove stored files no live record points at, and partial uploads of records that
    are gone or complete. Safe while the app runs: files are listed first (only those
    older than the grace period), then the records read, so a file an upload is storing
    now is either too young to be listed or already named by its record."""
    store = storage()
    keys = store.keys("img/", grace) + store.keys("thumb/", grace)
    live = set()
    for key, thumb in db.session.execute(
        select(Evidence.stored_key, Evidence.thumb_key).where(
            Evidence.deleted_at.is_(None), Evidence.stored.is_(True)
        )
    ):
        live |= {key, thumb}
    files = 0
    for key in keys:
        if key not in live:
            files += 1
            if not dry_run:
                store.delete(key)
    partials = 0
    for part in _dir().glob("*.part"):
        try:
            rid = uuid.UUID(part.stem)
        except ValueError:
            continue
        ev = db.session.get(Evidence, rid)
        if ev is None or ev.deleted_at is not None or ev.stored:
            partials += 1
            if not dry_run:
                with locked(rid):
                    part.unlink(missing_ok=True)
    db.session.rollback()
    return {"files": files, "partials": partials}
