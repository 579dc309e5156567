"""The activity rules as data, for the phone to check an entry before it is queued.

Read from :class:`~schemas.activity.ActivitySchema` itself rather than restated, so the
phone's checks and the server's cannot drift apart: a limit changed here changes on the
phone with the next app version (the rules are part of the precached shell).
"""

from __future__ import annotations

from typing import Any

from . import fields as f
from .activity import (
    CLIENT_STATUSES,
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_DAYS_AHEAD,
    ActivitySchema,
)
from .catalogue import QUANTITY_MAX
from .errors import MESSAGES

#: Set by the server; a phone never validates them.
_SERVER_ONLY = {"id", "recorded_at"}


def _field_rule(field: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"required": bool(field.required)}
    if isinstance(field, f.OneOf):
        rule.update(kind="choice", choices=list(field.choices))
    elif isinstance(field, f.String):
        rule.update(kind="text", max_length=field.max_length, allow_blank=field.allow_blank)
    elif isinstance(field, f.Integer):
        rule.update(kind="integer", min=field.min_value, max=field.max_value)
    elif isinstance(field, f.Decimal):
        # marshmallow keeps the places as a quantum (Decimal("0.1")).
        places = -int(field.places.as_tuple().exponent)
        rule.update(kind="decimal", places=places, min=field.min_value, max=field.max_value)
    elif isinstance(field, f.Date):
        rule.update(kind="date")
    elif isinstance(field, f.Dict):
        rule.update(kind="quantities")
    else:  # pragma: no cover - a new field type must be described here first
        raise TypeError(f"no phone rule for {type(field).__name__}")
    return rule


def phone_rules() -> dict[str, Any]:
    """Everything the phone's validator needs, with the messages in both languages."""
    schema = ActivitySchema(types={})
    fields = {
        name: _field_rule(field)
        for name, field in schema.load_fields.items()
        if name not in _SERVER_ONLY
    }
    return {
        "fields": fields,
        "dates": {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
        "days_ahead": MAX_DAYS_AHEAD,
        "client_statuses": list(CLIENT_STATUSES),
        "quantity_max": dict(QUANTITY_MAX),
        "messages": {code: list(pair) for code, pair in MESSAGES.items()},
    }
