"""The sync protocol's messages (the contract is docs/PROTOCOL.md).

Only the envelope is checked here; each record is validated by its collection, so one bad
record is that mutation's ``rejected`` answer, not the whole batch's failure.
"""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema

from . import fields as f
from .errors import problem

PROTOCOL_VERSIONS = (1,)
#: The most mutations one push may carry (PROTOCOL §1, ``413 batch_too_large`` beyond):
#: the only place the server says so.
MAX_MUTATIONS = 200
#: A request body as sent, compressed or not, and once decompressed (``413 body_too_large``).
MAX_BODY_BYTES = 1024 * 1024
MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024
#: Arrays and objects in a request body nest at most this deep (a push needs 5):
#: ``400 bad_json`` beyond, before anything walks it.
MAX_JSON_DEPTH = 32
#: A pull page's largest and default size (PROTOCOL §5).
MAX_PAGE = 5000
DEFAULT_PAGE = 500
MAX_FIELD_NAME = 40


class _Strict(Schema):
    # Not an object where one is expected: structured like every other error.
    error_messages = {"type": problem("not_a_mapping")}

    class Meta:
        unknown = RAISE

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        _structure_unknown(error.messages)
        raise error


def _structure_unknown(messages: Any) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            if value == ["Unknown field."]:
                messages[key] = [problem("unknown_field")]
            else:
                _structure_unknown(value)


class MutationSchema(_Strict):
    n = f.Integer(required=True, min_value=1, max_value=2**62)
    collection = f.String(max_length=40, required=True, allow_blank=False)
    op = f.OneOf(["upsert", "delete"], required=True)
    id = f.UUID(required=True)
    base_version = f.Integer(min_value=0, max_value=f.MAX_INT, allow_none=True, load_default=None)
    record = f.Dict(allow_none=True, load_default=None)
    changed = f.List(f.String(max_length=MAX_FIELD_NAME), allow_none=True, load_default=None)

    @validates_schema
    def _record_for_upsert(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("op") == "upsert" and not data.get("record"):
            raise ValidationError({"record": [problem("required")]})


class PushRequestSchema(_Strict):
    device_id = f.UUID(required=True)
    mutations = f.List(f.Nested(MutationSchema), required=True)


_MUTATION_KEYS = frozenset(MutationSchema().fields)
_MUTATION_REQUIRED = frozenset(k for k, v in MutationSchema().fields.items() if v.required)


def _plain_text(value: Any, max_length: int) -> bool:
    # ASCII that is already trimmed: what the schema's String would return unchanged.
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and value.isascii()
        and value == value.strip()
    )


def _uuid_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _whole(value: Any, low: int, high: int | None = None) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= low
        and (high is None or value <= high)
    )


def _plain_mutation(m: Any) -> bool:
    if not isinstance(m, dict) or not _MUTATION_REQUIRED <= m.keys() <= _MUTATION_KEYS:
        return False
    base, record, changed = m.get("base_version"), m.get("record"), m.get("changed")
    return (
        _whole(m["n"], 1, 2**62)
        and _plain_text(m["collection"], 40)
        and m["op"] in ("upsert", "delete")
        and _uuid_text(m["id"])
        and (base is None or _whole(base, 0, f.MAX_INT))
        and (record is None or isinstance(record, dict))
        and (m["op"] != "upsert" or bool(record))
        and (
            changed is None
            or (isinstance(changed, list) and all(_plain_text(c, MAX_FIELD_NAME) for c in changed))
        )
    )


def plainly_valid_push(raw: Any) -> bool:
    """True when a push envelope is well-formed in the ordinary way, so
    :class:`PushRequestSchema` need not run (it costs ~10 ms for 200 mutations, 5 % of a
    push). False means only "let the schema judge and explain": this check accepts a
    subset of what the schema accepts, never more (``tests/schemas/test_sync_envelope``)."""
    return (
        isinstance(raw, dict)
        and raw.keys() == {"device_id", "mutations"}
        and _uuid_text(raw["device_id"])
        and isinstance(raw["mutations"], list)
        and all(_plain_mutation(m) for m in raw["mutations"])
    )


class DeviceSignInSchema(_Strict):
    """Either a username and password, or a one-time enrolment code."""

    username = f.String(max_length=80, allow_blank=False, load_default=None)
    password = fields.String(load_default=None)
    enrolment_code = f.String(max_length=40, allow_blank=False, load_default=None)
    device_id = f.UUID(required=True)
    device_name = f.String(max_length=120, load_default="")

    @validates_schema
    def _one_way_in(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("enrolment_code"):
            return
        missing = {k: [problem("required")] for k in ("username", "password") if not data.get(k)}
        if missing:
            raise ValidationError(missing)


class OutboxReportSchema(_Strict):
    count = f.Integer(min_value=0, max_value=10**9, required=True)
    oldest = f.AwareDateTime(allow_none=True, load_default=None)


class PullRequestSchema(_Strict):
    # Optional (PROTOCOL §5): the token names the device; an idle poll leaves it out.
    device_id = f.UUID(allow_none=True, load_default=None)
    cursor = f.String(max_length=80, allow_none=True, load_default=None)
    # null is the default, as leaving it out is (PROTOCOL §5).
    limit = f.Integer(min_value=1, max_value=MAX_PAGE, allow_none=True, load_default=None)
    reference = f.String(max_length=64, allow_none=True, load_default=None)
    outbox = f.Nested(OutboxReportSchema, allow_none=True, load_default=None)

    @post_load
    def _default_limit(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["limit"] is None:
            data["limit"] = DEFAULT_PAGE
        return data


class ResolveConflictSchema(_Strict):
    choice = f.OneOf(["server", "client"], required=True)
