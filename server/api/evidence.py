"""``/api/v1/evidence/<id>/…``: resumable uploads of evidence photos and their files
(PROTOCOL §9). The records themselves travel by push and pull like activities.

The upload body is raw bytes, not JSON: it never passes :func:`.protocol.json_body` (whose
checks stay as they are for every JSON route), and has its own: one chunk of at most
``MAX_CHUNK`` bytes, never compressed (a JPEG does not shrink, and a gzip bomb would cost
more than it saves).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import ClientDisconnected

from schemas.evidence import MAX_CHUNK

from ..errors import ApiError
from ..evidence.storage import BLOCK, NotStored, Storage
from ..evidence.uploads import UploadRefused, append, locked, state, storage, try_duplicate
from ..extensions import db
from ..models.evidence import Evidence
from ..policy import visible_unit_ids, writable_unit_ids
from . import bp
from .auth import current_user, device_required

UPLOAD_TYPE = "application/offset+octet-stream"
_DIGITS = re.compile(r"^[0-9]{1,10}$")


def _find(evidence_id: uuid.UUID, *, write: bool = False) -> Evidence:
    """The live record if this device's user may read it (write it, for an upload);
    otherwise the one answer for unknown, deleted and elsewhere."""
    ev = db.session.get(Evidence, evidence_id)
    if ev is not None and ev.deleted_at is None:
        user = current_user()
        if write:
            allowed = ev.unit_id in writable_unit_ids(user)
        else:
            allowed = ev.unit_id in set(db.session.scalars(visible_unit_ids(user)))
        if allowed:
            return ev
    raise ApiError(404, "not_found", "No such evidence record")


def _refused(exc: UploadRefused) -> ApiError:
    db.session.rollback()
    return ApiError(exc.status, exc.code, exc.message_en, **exc.details)


@bp.get("/evidence/<uuid:evidence_id>/upload")
@device_required
def upload_state(evidence_id: uuid.UUID) -> Response:
    ev = try_duplicate(_find(evidence_id))
    answer = state(ev)
    db.session.rollback()
    return jsonify(answer)


def _offset() -> int:
    raw = request.headers.get("Upload-Offset", "").strip(" \t")
    if not _DIGITS.match(raw):
        raise ApiError(400, "bad_offset", "Upload-Offset must be a non-negative integer")
    return int(raw)


def _chunk() -> bytes:
    """The body, at most MAX_CHUNK bytes, read whole before anything is written: a
    connection cut in the middle of a chunk leaves nothing of it."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(
            415,
            "unsupported_encoding",
            "An upload chunk is never compressed",
            supported=["identity"],
        )
    length = request.content_length
    if length is not None and length > MAX_CHUNK:
        raise ApiError(413, "body_too_large", "The chunk is too large", limit_bytes=MAX_CHUNK)
    try:
        data = request.stream.read(MAX_CHUNK + 1)
    except ClientDisconnected:
        raise ApiError(400, "bad_request", "The chunk ended before its length") from None
    if len(data) > MAX_CHUNK:
        raise ApiError(413, "body_too_large", "The chunk is too large", limit_bytes=MAX_CHUNK)
    if length is not None and len(data) != length:
        raise ApiError(400, "bad_request", "The chunk ended before its length")
    return data


@bp.patch("/evidence/<uuid:evidence_id>/upload")
@device_required
def upload_chunk(evidence_id: uuid.UUID) -> Response:
    mimetype = request.mimetype
    if mimetype != UPLOAD_TYPE:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be {UPLOAD_TYPE}",
            supported=[UPLOAD_TYPE],
        )
    offset = _offset()
    data = _chunk()
    _find(evidence_id, write=True)
    db.session.rollback()
    with locked(evidence_id):
        # Read again under the lock: another request may have completed it meanwhile.
        ev = _find(evidence_id, write=True)
        try:
            answer = append(ev, offset, data)
        except UploadRefused as exc:
            raise _refused(exc) from None
    db.session.rollback()
    return jsonify(answer)


def _stream(store: Storage, key: str) -> Iterator[bytes]:
    # The store is taken in the request: the answer's body is read after it ends.
    with store.open(key) as stream:
        while block := stream.read(BLOCK):
            yield block


def serve(ev: Evidence, thumb: bool) -> Response:
    """The stored image or thumbnail, streamed; immutable (its key is its content's
    hash), so cached for good and revalidated by ETag. Used by the dashboard too."""
    key = ev.thumb_key if thumb else ev.stored_key
    if not ev.stored or not key:
        raise ApiError(404, "not_found", "The server does not hold this photo")
    etag = key.rsplit("/", 1)[-1].split(".")[0][:32] + ("t" if thumb else "f")
    mimetype = ev.stored_type or "image/jpeg"
    headers: dict[str, Any] = {"Cache-Control": "private, max-age=31536000, immutable"}
    db.session.rollback()
    if etag in request.if_none_match:
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response
    store = storage()
    try:
        size = store.size(key)
    except NotStored:
        raise ApiError(404, "not_found", "The server does not hold this photo") from None
    response = Response(_stream(store, key), mimetype=mimetype, headers=headers)
    response.content_length = size
    response.set_etag(etag)
    return response


@bp.get("/evidence/<uuid:evidence_id>/file")
@device_required
def evidence_file(evidence_id: uuid.UUID) -> Response:
    return serve(_find(evidence_id), thumb=False)


@bp.get("/evidence/<uuid:evidence_id>/thumb")
@device_required
def evidence_thumb(evidence_id: uuid.UUID) -> Response:
    return serve(_find(evidence_id), thumb=True)
