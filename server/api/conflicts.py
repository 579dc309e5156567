"""Conflicts kept by the merge: listed for the people concerned, resolved by writers."""

from __future__ import annotations

import uuid
from datetime import UTC

from flask import jsonify, request
from sqlalchemy import select

from schemas.sync import ResolveConflictSchema
from sync.conflicts import ConflictError, conflict_target, open_conflicts, resolve

from ..activities.registry import sync_registry
from ..actors import actor_key, user_id_of
from ..database import begin_writing
from ..errors import ApiError
from ..extensions import db
from ..models import Activity, User
from ..models.evidence import Evidence
from ..models.types import utcnow
from ..policy import can_write_activities_of, visible_unit_ids
from . import bp
from .auth import current_user, device_required
from .protocol import json_body


def _iso(value):
    if value is None:
        return None
    # Stored in UTC; SQLite gives it back without its zone, which the protocol requires.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _senders(rows) -> dict[str, User]:
    """Who sent each losing value, by actor key, in one query for the whole list."""
    ids = {user_id_of(r.actor) for r in rows} - {None}
    if not ids:
        return {}
    return {actor_key(u.id): u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


@bp.get("/conflicts")
@device_required
def list_conflicts():
    """Open conflicts of the records the user may see (author's branch, reviewer's
    subtree): activities and their evidence photos (a caption edited on two phones)."""
    user = current_user()
    activities = select(Activity.id).where(Activity.unit_id.in_(visible_unit_ids(user)))
    photos = select(Evidence.id).where(Evidence.unit_id.in_(visible_unit_ids(user)))
    wanted = request.args.get("record_id")
    if wanted is not None:  # given, even empty: a UUID or 400 (PROTOCOL §4)
        try:
            record_id = uuid.UUID(wanted)
        except ValueError:
            raise ApiError(400, "invalid_request", "record_id is not a UUID") from None
        activities = activities.where(Activity.id == record_id)
        photos = photos.where(Evidence.id == record_id)
    records = activities.union_all(photos)
    rows = db.session.execute(open_conflicts(records).limit(500)).all()
    senders = _senders(rows)
    mine = actor_key(user.id)
    db.session.rollback()
    return jsonify(
        {
            "conflicts": [
                {
                    "id": str(r.id),
                    "collection": r.collection,
                    "record_id": str(r.record_id),
                    "kind": r.kind,
                    "field": r.field,
                    "server_value": r.server_value,
                    "client_value": r.client_value,
                    "base_version": r.base_version,
                    "server_version": r.server_version,
                    "created_at": _iso(r.created_at),
                    "mine": r.actor == mine,
                    "by": (
                        {"id": senders[r.actor].id, "full_name": senders[r.actor].full_name}
                        if r.actor in senders
                        else None
                    ),
                }
                for r in rows
            ]
        }
    )


#: Refusals of a resolution (PROTOCOL §4). A rule's own problem (record_verified,
#: status_not_allowed, unit_closed, date_in_future) is 409: the record changed since the
#: conflict was kept, and only choosing ``server`` (or editing the record) settles it.
_RESOLVE_STATUS = {
    "not_found": 404,
    "conflict_resolved": 409,
    "forbidden": 403,
    "validation_failed": 422,
}


def _refusal(exc: ConflictError) -> ApiError:
    """The engine's refusal as an API error: the problem's code and texts at the top level
    (``params`` and, for ``validation_failed``, ``errors`` per field beside them)."""
    problem = dict(exc.problem or {})
    status = _RESOLVE_STATUS.get(exc.code, 409)
    if "code" not in problem:  # not_found, conflict_resolved, validation_failed
        return ApiError(
            status, exc.code, f"The conflict could not be resolved: {exc.code}", **problem
        )
    problem.pop("code")
    message, message_en = problem.pop("message"), problem.pop("message_en")
    return ApiError(status, exc.code, message_en, message=message, **problem)


@bp.post("/conflicts/<uuid:conflict_id>/resolve")
@device_required
def resolve_conflict(conflict_id: uuid.UUID):
    data = ResolveConflictSchema().load(json_body())
    begin_writing(db.session())  # read, then written: queue for the write lock first
    user = current_user()
    target = conflict_target(db.session(), conflict_id)
    model = Evidence if target and target[0] == "evidence" else Activity
    record = db.session.get(model, target[1]) if target else None
    if record is None or not can_write_activities_of(user, record.unit_id):
        raise ApiError(404, "not_found", "No such conflict")
    try:
        out = resolve(
            db.session(),
            sync_registry(),
            conflict_id,
            choice=data["choice"],
            actor=user,
            actor_key=actor_key(user.id),
            now=utcnow(),
        )
    except ConflictError as exc:
        db.session.rollback()
        raise _refusal(exc) from None
    db.session.commit()
    return jsonify(out)
