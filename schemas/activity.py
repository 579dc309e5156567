"""The activity record as phones and the API see it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load, validates_schema

from . import fields as f
from .catalogue import TypeSpec, check_quantities
from .errors import problem

#: What a phone may set. ``verified`` and ``returned`` are reviewers' decisions (a phone
#: still sends them back unchanged inside a whole record).
CLIENT_STATUSES = ["draft", "submitted"]
STATUSES = ["draft", "submitted", "verified", "returned"]
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
#: A branch rarely has more than a few hundred members; this only catches typos.
MAX_PEOPLE = 100_000
MAX_HOURS = 1_000_000
#: An activity may be planned a month ahead, no more: later dates are typos.
MAX_DAYS_AHEAD = 31
#: Fields the server owns and sends inside a record (a pull, a push answer). A device may
#: send the record back as it received it (PROTOCOL: ``record`` is the whole record as
#: the device has it), so these are accepted and ignored, never taken from the phone.
SERVER_OWNED = ("review_comment", "recorded_at_suspect", "created_at", "updated_at")


class ActivitySchema(Schema):
    """Validate an activity against the catalogue of types.

    ``types`` maps type codes to :class:`TypeSpec`. For a partial load (an edit carrying only
    the changed fields), ``base_type`` is the record's current type code, so quantities can
    still be checked when the type itself is not being changed.
    """

    class Meta:
        unknown = RAISE

    id = f.UUID(required=True)
    unit_id = f.Integer(required=True, min_value=1, max_value=f.MAX_INT)
    type = f.String(max_length=40, required=True, allow_blank=False)
    title = f.String(max_length=200, required=True, allow_blank=False)
    starts_on = f.Date(required=True)
    ends_on = f.Date(required=True)
    place = f.String(max_length=200, load_default="")
    members_count = f.Integer(min_value=0, max_value=MAX_PEOPLE, load_default=0)
    citizens_served = f.Integer(min_value=0, max_value=MAX_PEOPLE, load_default=0)
    volunteer_hours = f.Decimal(places=1, min_value=0, max_value=MAX_HOURS, load_default=0)
    quantities = f.Dict(load_default=dict)
    description = f.String(max_length=5000, load_default="")
    status = f.OneOf(STATUSES, load_default="draft")
    recorded_at = f.AwareDateTime(load_default=None, allow_none=True)

    # Server-assigned: shown to the phone, never taken from it.
    version = f.Integer(dump_only=True)
    review_comment = f.String(max_length=5000, dump_only=True)
    created_at = f.AwareDateTime(dump_only=True)
    updated_at = f.AwareDateTime(dump_only=True)

    def __init__(
        self, *, types: Mapping[str, TypeSpec], base_type: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.types = types
        self.base_type = base_type

    @pre_load
    def _drop_server_owned(self, data: Any, **kwargs: Any) -> Any:
        # Dropped before loading: marshmallow would refuse these output-only fields as
        # unknown, and a record pushed back as pulled must not be refused for them.
        if isinstance(data, Mapping) and any(k in data for k in SERVER_OWNED):
            return {k: v for k, v in data.items() if k not in SERVER_OWNED}
        return data

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        # marshmallow reports unknown fields with an English string; give them our shape.
        messages = error.messages
        if isinstance(messages, dict):
            for key, value in messages.items():
                if value == ["Unknown field."]:
                    messages[key] = [problem("unknown_field")]
        raise error

    @validates_schema(skip_on_field_errors=False)
    def _whole_record(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        for key in ("starts_on", "ends_on"):
            day = data.get(key)
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
                errors[key] = [
                    problem(
                        "date_out_of_range",
                        min=EARLIEST_DATE.isoformat(),
                        max=LATEST_DATE.isoformat(),
                    )
                ]
        if starts and ends and ends < starts and "ends_on" not in errors:
            errors["ends_on"] = [problem("ends_before_start")]

        type_code = data.get("type", self.base_type)
        spec = self.types.get(type_code) if type_code else None
        if "type" in data and spec is None:
            errors["type"] = [problem("unknown_type")]
        elif "type" in data and spec is not None and not spec.active:
            errors["type"] = [problem("type_inactive")]
        if "quantities" in data and spec is not None:
            clean, q_errors = check_quantities(data["quantities"], spec)
            if q_errors:
                errors["quantities"] = q_errors
            else:
                data["quantities"] = clean
        if errors:
            raise ValidationError(errors)


#: The fields a phone writes, in wire order: everything the schema loads but the id and the
#: phone's clock of a new record. The server merges them one by one and sends them in
#: every record; this is the one list of them on the server (PROTOCOL §6 lists them too).
FIELDS: tuple[str, ...] = tuple(
    name for name in ActivitySchema(types={}).load_fields if name not in ("id", "recorded_at")
)
