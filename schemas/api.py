"""The API's answers, described for ``/api/openapi.json`` (docs/PROTOCOL.md says the same
in words).

The requests are loaded with the schemas of :mod:`schemas.sync`; the answers are written by
the views and the sync engine as plain dicts (a pull page is even assembled as text), so
these schemas describe them rather than produce them. ``tests/api/test_fuzz.py`` checks
every answer the server gives against them.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from .activity import STATUSES


class Error(Schema):
    """Every refusal (PROTOCOL §1); extra keys carry its details."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(
        required=True, metadata={"description": "stable; what a client branches on"}
    )
    message = fields.String(required=True, metadata={"description": "Vietnamese, may be shown"})
    message_en = fields.String(required=True)


class User(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    role = fields.String(required=True)
    unit_id = fields.Integer(required=True)


class SignedIn(Schema):
    device_id = fields.UUID(required=True)
    token = fields.String(required=True)
    user = fields.Nested(User, required=True)


class Device(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True, allow_none=True)
    last_seen_at = fields.AwareDateTime(required=True, allow_none=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)
    pending_count = fields.Integer(required=True, allow_none=True)
    pending_since = fields.AwareDateTime(required=True, allow_none=True)
    current = fields.Boolean(required=True)


class Devices(Schema):
    devices = fields.List(fields.Nested(Device), required=True)


class EnrolmentCode(Schema):
    code = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    user_id = fields.Integer(required=True)


class Deactivated(Schema):
    user_id = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    devices_revoked = fields.Integer(required=True)


class Record(Schema):
    """An activity (PROTOCOL §6) or an evidence record (§9) as the server sends it: its
    fields only, never its id or version, which are the change's."""

    class Meta:
        unknown = INCLUDE

    unit_id = fields.Integer()
    type = fields.String()
    title = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    place = fields.String()
    members_count = fields.Integer()
    citizens_served = fields.Integer()
    volunteer_hours = fields.String(metadata={"description": "decimal, one place"})
    quantities = fields.Dict()
    description = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    recorded_at = fields.AwareDateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    recorded_at_suspect = fields.Boolean()
    created_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    # Evidence (§9).
    activity_id = fields.UUID()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    captured_at = fields.AwareDateTime(allow_none=True)
    caption = fields.String()
    stored = fields.Boolean()
    stored_size = fields.Integer(allow_none=True)
    stored_width = fields.Integer(allow_none=True)
    stored_height = fields.Integer(allow_none=True)


class Problem(Schema):
    """Why a mutation was not applied (``reason``)."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True)
    message = fields.String(required=True)
    message_en = fields.String(required=True)
    params = fields.Dict()


class PushConflict(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    field = fields.String(allow_none=True)
    server_value = fields.Raw(allow_none=True)
    client_value = fields.Raw(allow_none=True)


class PushResult(Schema):
    n = fields.Integer(required=True)
    id = fields.UUID()
    status = fields.String(
        required=True,
        metadata={"enum": ["applied", "merged", "conflict", "rejected", "already_applied"]},
    )
    version = fields.Integer(allow_none=True)
    deleted = fields.Boolean()
    record = fields.Nested(Record, allow_none=True)
    conflicts = fields.List(fields.Nested(PushConflict))
    reason = fields.Nested(Problem)
    errors = fields.Dict(metadata={"description": "per field, as in PROTOCOL §6"})


class PushAnswer(Schema):
    last_applied = fields.Integer(required=True)
    results = fields.List(fields.Nested(PushResult), required=True)


class Change(Schema):
    collection = fields.String(required=True)
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    record = fields.Nested(Record, required=True, allow_none=True)


class Reference(Schema):
    """The units, catalogue and phases a phone needs offline (PROTOCOL §5)."""

    hash = fields.String(required=True)
    home_unit_id = fields.Integer(required=True)
    units = fields.List(fields.Dict(), required=True)
    pillars = fields.List(fields.Dict(), required=True)
    activity_types = fields.List(fields.Dict(), required=True)
    phases = fields.List(fields.Dict(), required=True)


class PullAnswer(Schema):
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
    changes = fields.List(fields.Nested(Change), required=True)
    reference = fields.Nested(Reference)


class Sender(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(required=True)


class Conflict(Schema):
    id = fields.UUID(required=True)
    collection = fields.String(required=True)
    record_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    field = fields.String(required=True, allow_none=True)
    server_value = fields.Raw(required=True, allow_none=True)
    client_value = fields.Raw(required=True, allow_none=True)
    base_version = fields.Integer(required=True, allow_none=True)
    server_version = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True, allow_none=True)
    mine = fields.Boolean(required=True)
    by = fields.Nested(Sender, required=True, allow_none=True)


class Conflicts(Schema):
    conflicts = fields.List(fields.Nested(Conflict), required=True)


class Resolved(Schema):
    id = fields.UUID(required=True)
    resolution = fields.String(required=True)
    record_id = fields.UUID(required=True)
    version = fields.Integer(required=True, allow_none=True)
    deleted = fields.Boolean(required=True)


class UploadState(Schema):
    """Where an evidence photo's upload stands (PROTOCOL §9)."""

    offset = fields.Integer(
        required=True, metadata={"description": "bytes held and acknowledged: resume here"}
    )
    size = fields.Integer(required=True)
    complete = fields.Boolean(
        required=True, metadata={"description": "verified and stored: the phone may let go"}
    )
