"""The activity rules and the protocol's limits as data, for the phone: it checks an entry
before it is queued, builds records from the field list and sizes its pushes within the
limits.

Read from :class:`~schemas.activity.ActivitySchema` and :mod:`schemas.sync` themselves
rather than restated, so the phone and the server cannot drift apart: a limit changed here
changes on the phone with the next app version (the rules are part of the precached shell,
and of its version).
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
from .sync import MAX_BODY_BYTES, MAX_MUTATIONS
from .text import INVISIBLE

#: Not checked on the phone: the id travels beside the record (§3), and ``recorded_at`` is
#: the phone's own clock, information only.
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
        # A record as the phone sends it (§6), in the schema's order: the fields the person
        # types and the phone's clock; the server-owned ones it receives are never sent.
        "record_fields": [name for name in schema.load_fields if name != "id"],
        "protocol": {"max_mutations": MAX_MUTATIONS, "max_body_bytes": MAX_BODY_BYTES},
        "fields": fields,
        "dates": {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
        "days_ahead": MAX_DAYS_AHEAD,
        "client_statuses": list(CLIENT_STATUSES),
        "quantity_max": dict(QUANTITY_MAX),
        "messages": {code: list(pair) for code, pair in MESSAGES.items()},
        # What the server removes from every text it takes in (schemas.text.clean): the
        # phone removes it too where the person types, so what it keeps is what is stored.
        "invisible": INVISIBLE.pattern,
    }
