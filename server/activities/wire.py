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
from decimal import Decimal
from typing import Any

from marshmallow import missing
from sqlalchemy import event, select
from sqlalchemy.orm import object_session

from schemas import fields as f
from schemas.activity import FIELDS, ActivitySchema

from ..models import Activity, ActivityType

_SCHEMA = ActivitySchema(types={}).load_fields
#: Places of each decimal field (marshmallow keeps them as a quantum, Decimal("0.1")).
_PLACES = {
    name: -int(field.places.as_tuple().exponent)
    for name, field in _SCHEMA.items()
    if isinstance(field, f.Decimal)
}


def _iso(value: datetime | None) -> str | None:
    # Whole seconds: nobody needs microseconds of a phone entry, and 20,000 records pay
    # for every byte on 2G.
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def wire_value(name: str, value: Any) -> Any:
    """One of the fields a phone writes (:data:`schemas.activity.FIELDS`), loaded or
    stored, as a phone receives it: in the form the schema reads it back. Unset (a row
    made through the ORM before its column defaults apply), it is what the schema loads
    when a phone leaves it out."""
    field = _SCHEMA[name]
    if value is None and field.load_default is not missing:
        value = field.load_default() if callable(field.load_default) else field.load_default
    if value is None:
        return None
    if isinstance(field, f.Date):
        return value.isoformat()
    if name in _PLACES:
        return f"{Decimal(value):.{_PLACES[name]}f}"
    if isinstance(field, f.Dict):
        return dict(value)
    return value


def record_fields(a: Any, type_code: str | None) -> dict[str, Any]:
    """The record's fields on the wire: those a phone writes (``type`` by its code), then
    those the server owns."""
    out = {
        name: type_code if name == "type" else wire_value(name, getattr(a, name)) for name in FIELDS
    }
    return {
        **out,
        "review_comment": a.review_comment,
        "recorded_at": _iso(a.recorded_at),
        "recorded_at_suspect": bool(a.recorded_at_suspect),
        "created_at": _iso(a.created_at),
        "updated_at": _iso(a.updated_at),
    }


def encode(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


_CODES = "activity_type_codes"


def remember_type_codes(session: Any, codes: dict[int, str]) -> None:
    """Type codes by id the caller has already read (the sync collection has the whole
    catalogue), so rendering the records of a push looks none up."""
    session.info.setdefault(_CODES, {}).update(codes)


def _type_code(connection: Any, target: Activity) -> str | None:
    # Codes of types never change; one lookup per type per session is enough.
    session = object_session(target)
    cache: dict[int, str] = session.info.setdefault(_CODES, {}) if session else {}
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
