"""An activity as a phone receives it, rendered once when it is written.

A first download of a branch is tens of thousands of records. Building each one from its
columns on every pull (decoding JSON and dates, formatting them again) cost most of the
time of that download, though a record is written far more rarely than it is read. So the
record's JSON is rendered whenever the row is inserted or updated through the ORM (every
write path: sync push, conflict resolution, review, seeding) and kept in ``wire``; a pull
sends it as it is (see ``Collection.wire_column``).

``id`` and ``version`` are not in the record: they travel beside it (in a pull's change,
in a push's answer), so the stored text never goes stale when the engine bumps a version,
and a 20,000-record download does not carry every id twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import object_session

from ..models import Activity, ActivityType


def _iso(value: datetime | None) -> str | None:
    # Whole seconds: nobody needs microseconds of a phone entry, and 20,000 records pay
    # for every byte on 2G.
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def record_fields(a: Any, type_code: str | None) -> dict[str, Any]:
    """The record's fields on the wire."""
    return {
        "unit_id": a.unit_id,
        "type": type_code,
        "title": a.title,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
        "place": a.place or "",
        "members_count": a.members_count or 0,
        "citizens_served": a.citizens_served or 0,
        "volunteer_hours": f"{a.volunteer_hours or 0:.1f}",
        "quantities": dict(a.quantities or {}),
        "description": a.description or "",
        "status": a.status,
        "review_comment": a.review_comment,
        "recorded_at": _iso(a.recorded_at),
        "recorded_at_suspect": bool(a.recorded_at_suspect),
        "created_at": _iso(a.created_at),
        "updated_at": _iso(a.updated_at),
    }


def encode(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def _type_code(connection: Any, target: Activity) -> str | None:
    # Codes of types never change; one lookup per type per session is enough.
    session = object_session(target)
    cache: dict[int, str] = session.info.setdefault("activity_type_codes", {}) if session else {}
    code = cache.get(target.type_id)
    if code is None:
        code = connection.execute(
            select(ActivityType.code).where(ActivityType.id == target.type_id)
        ).scalar_one_or_none()
        if code is not None:
            cache[target.type_id] = code
    return code


def _render(_mapper: Any, connection: Any, target: Activity) -> None:
    target.wire = encode(record_fields(target, _type_code(connection, target)))


def register() -> None:
    """Render the record on every ORM write of an activity (``create_app`` calls it; a
    second call changes nothing)."""
    for name in ("before_insert", "before_update"):
        if not event.contains(Activity, name, _render):
            event.listen(Activity, name, _render)
