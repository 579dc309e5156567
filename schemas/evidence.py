"""The evidence record (a photo of an activity) as phones and the API see it (PROTOCOL §9)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load
from marshmallow import fields as mf

from . import fields as f
from .errors import fail, problem

#: Bytes of a photo's file as the phone uploads it (the app makes ≤ 250 KB, typically).
MAX_SIZE = 5 * 1024 * 1024
#: Pixels on a side the server accepts (the app makes ≤ 1,600).
MAX_SIDE = 4096
#: Bytes of one upload chunk (the app sends 32 KiB on 2G, up to 256 KiB otherwise).
MAX_CHUNK = 1024 * 1024
#: Pixels of a decoded image, whatever its file says: more is refused (image_too_large).
MAX_PIXELS = 40_000_000
#: Longest side of a thumbnail.
THUMB_SIDE = 320
CONTENT_TYPES = ["image/jpeg", "image/webp"]
#: Server-owned fields a device receives, accepted back and ignored.
SERVER_OWNED = (
    "stored",
    "stored_size",
    "stored_width",
    "stored_height",
    "created_at",
    "updated_at",
)
#: Fields taken once, when the record is made; a changed value is refused.
IMMUTABLE = ("activity_id", "sha256", "size", "content_type", "width", "height")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Sha256(f.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _HEX64.match(text):
            raise fail("not_lowercase_hex")
        return text


class EvidenceSchema(Schema):
    """A whole evidence record as a phone pushes it."""

    class Meta:
        unknown = RAISE

    id = f.UUID(required=True)
    activity_id = f.UUID(required=True)
    sha256 = Sha256(max_length=64, required=True)
    size = f.Integer(required=True, min_value=1, max_value=MAX_SIZE)
    content_type = f.OneOf(CONTENT_TYPES, required=True)
    width = f.Integer(required=True, min_value=1, max_value=MAX_SIDE)
    height = f.Integer(required=True, min_value=1, max_value=MAX_SIDE)
    captured_at = f.AwareDateTime(load_default=None, allow_none=True)
    caption = f.String(max_length=200, load_default="")

    # Server-assigned: shown to the phone, never taken from it.
    stored = mf.Boolean(dump_only=True)
    stored_size = f.Integer(dump_only=True, allow_none=True)
    stored_width = f.Integer(dump_only=True, allow_none=True)
    stored_height = f.Integer(dump_only=True, allow_none=True)
    created_at = f.AwareDateTime(dump_only=True)
    updated_at = f.AwareDateTime(dump_only=True)

    @pre_load
    def _drop_server_owned(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping) and any(k in data for k in SERVER_OWNED):
            return {k: v for k, v in data.items() if k not in SERVER_OWNED}
        return data

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        messages = error.messages
        if isinstance(messages, dict):
            for key, value in messages.items():
                if value == ["Unknown field."]:
                    messages[key] = [problem("unknown_field")]
        raise error


#: The fields a phone writes, merged one by one: all but the id and the phone's clock.
FIELDS: tuple[str, ...] = tuple(
    name for name in EvidenceSchema().load_fields if name not in ("id", "captured_at")
)
