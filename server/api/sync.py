"""``/api/v1/sync/push`` and ``/api/v1/sync/pull``: parse, call the engine, answer."""

from __future__ import annotations

import uuid

from flask import current_app, g, jsonify

from schemas.sync import (
    MAX_MUTATIONS,
    PullRequestSchema,
    PushRequestSchema,
    plainly_valid_push,
)
from sync.errors import BadBatch, ResyncRequired, SyncRefusal
from sync.pull import pull
from sync.push import begin_write, push

from ..activities.reference import reference_for
from ..activities.registry import sync_registry
from ..actors import actor_key
from ..database import begin_writing
from ..errors import ApiError
from ..extensions import db
from ..models import Device
from ..models.types import utcnow
from ..observability import metrics
from ..outage import outage
from ..policy import read_scope, scope_tag
from . import bp
from .auth import current_user, device_required
from .protocol import json_body

REFUSAL_STATUS = {BadBatch: 400}


def _refused(exc: SyncRefusal) -> ApiError:
    db.session.rollback()
    return ApiError(REFUSAL_STATUS.get(type(exc), 409), exc.code, exc.message_en, **exc.details)


def _same_device(device_id) -> None:
    if device_id != g.device_id:
        raise ApiError(403, "device_mismatch", "device_id is not the signed-in device")


@bp.post("/sync/push")
@device_required
def push_view():
    raw = json_body()
    mutations = raw.get("mutations")
    if isinstance(mutations, list) and len(mutations) > MAX_MUTATIONS:
        raise ApiError(
            413,
            "batch_too_large",
            f"At most {MAX_MUTATIONS} mutations per push",
            limit=MAX_MUTATIONS,
        )
    if plainly_valid_push(raw):
        device_id = uuid.UUID(raw["device_id"])
    else:
        device_id = PushRequestSchema().load(raw)["device_id"]
    _same_device(device_id)
    begin_write(db.session())
    user = current_user()
    try:
        outcome = push(
            db.session(),
            sync_registry(),
            device_id=device_id,
            actor=user,
            actor_key=actor_key(user.id),
            mutations=raw["mutations"],
            now=utcnow(),
        )
    except SyncRefusal as exc:
        raise _refused(exc) from None
    db.session.commit()
    outage().database_answered()
    metrics.pushed(device_id, outcome.results, {m["n"]: m["collection"] for m in raw["mutations"]})
    return jsonify({"last_applied": outcome.last_applied, "results": outcome.results})


def _note_outbox(report: dict) -> None:
    """Keep what the phone says of its unsent entries, for staff (one small write, only
    when it changed)."""
    device = db.session.get(Device, g.device_id)  # loaded with the token: no statement
    since = report["oldest"] if report["count"] else None
    if (device.pending_count, device.pending_since) != (report["count"], since):
        # Written in a short transaction of its own, as before the pull read anything, and
        # as a writer from the start: on SQLite a read cannot become a write once another
        # transaction has written.
        begin_writing(db.session())
        device = db.session.get(Device, g.device_id)
        device.pending_count, device.pending_since = report["count"], since
        db.session.commit()


@bp.post("/sync/pull")
@device_required(keep_reading=True)
def pull_view():
    data = PullRequestSchema().load(json_body())
    if data["device_id"] is not None:
        _same_device(data["device_id"])
    if data["outbox"] is not None:
        _note_outbox(data["outbox"])
    user = current_user()
    scope = read_scope(user)
    try:
        page = pull(
            db.session(),
            sync_registry(),
            scope=scope,
            scope_tag=scope_tag(user, scope),
            cursor=data["cursor"],
            limit=data["limit"],
        )
    except ResyncRequired as exc:
        metrics.resync(str(exc.details.get("reason")))
        raise _refused(exc) from None
    extra = None
    # Reference data is checked where a device is sure to read it: on the page that starts
    # a full download and on the page that ends a pull (not on the nine in between).
    if data["cursor"] is None or not page.has_more:
        digest, reference = reference_for(user, scope.unit_ids)
        if data["reference"] != digest:
            extra = {"reference": reference}
    db.session.rollback()
    outage().database_answered()
    metrics.pulled(data["cursor"] is None, len(page.fragments))
    return current_app.response_class(page.to_json(extra), mimetype="application/json")
