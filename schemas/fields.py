"""marshmallow fields and validators whose errors are structured (see :mod:`schemas.errors`).

marshmallow passes non-string error messages through untouched, so giving each field a
structured message at the source beats translating English strings afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

from .errors import fail, problem
from .text import clean

#: The largest id or version a row can hold (an ``INTEGER`` column on PostgreSQL): a larger
#: one is refused as out of range rather than sent to a query the database rejects.
MAX_INT = 2**31 - 1

_COMMON = {
    "required": [problem("required")],
    "null": [problem("null")],
    "validator_failed": [problem("invalid")],
}


class String(fields.String):
    """NFC-normalised, trimmed text with a length limit counted in characters."""

    default_error_messages = {
        **_COMMON,
        "invalid": [problem("not_a_string")],
        "invalid_utf8": [problem("not_a_string")],
    }

    def __init__(self, *, max_length: int, allow_blank: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.allow_blank = allow_blank

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = clean(super()._deserialize(value, attr, data, **kwargs)).strip()
        if len(text) > self.max_length:
            raise fail("too_long", max=self.max_length)
        if not text and not self.allow_blank:
            raise fail("blank")
        return text


class Integer(fields.Integer):
    default_error_messages = {
        **_COMMON,
        "invalid": [problem("not_an_integer")],
        "too_large": [problem("invalid")],
    }

    def __init__(
        self, *, min_value: int | None = None, max_value: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(strict=True, **kwargs)
        self.min_value, self.max_value = min_value, max_value

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        _check_range(number, self.min_value, self.max_value)
        return number


class Decimal(fields.Decimal):
    default_error_messages = {
        **_COMMON,
        "invalid": [problem("not_a_number")],
        "special": [problem("not_a_number")],
        "too_large": [problem("invalid")],
    }

    def __init__(
        self,
        *,
        places: int,
        min_value: float | None = None,
        max_value: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(places=places, as_string=True, **kwargs)
        self.min_value, self.max_value = min_value, max_value

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        _check_range(number, self.min_value, self.max_value)
        return number


class Date(fields.Date):
    """ISO 8601 on the wire (``2016-03-26``); the screens show dd/mm/yyyy."""

    default_error_messages = {
        **_COMMON,
        "invalid": [problem("not_a_date")],
        "format": [problem("not_a_date")],
    }


class AwareDateTime(fields.AwareDateTime):
    """A time with its zone. One whose UTC falls outside the years 1–9999
    (``0001-01-01T00:00:00+01:00``) is refused here: it is stored in UTC, and converting
    it there raised an error the server answered with 500."""

    default_error_messages = {
        **_COMMON,
        "invalid": [problem("not_a_datetime")],
        "invalid_awareness": [problem("not_a_datetime")],
        "format": [problem("not_a_datetime")],
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid") from None
        return moment


class UUID(fields.UUID):
    default_error_messages = {**_COMMON, "invalid_uuid": [problem("not_a_uuid")]}


class Dict(fields.Dict):
    default_error_messages = {**_COMMON, "invalid": [problem("not_a_mapping")]}


class OneOf(String):
    def __init__(self, choices: list[str], **kwargs: Any) -> None:
        super().__init__(max_length=max(len(c) for c in choices), **kwargs)
        self.choices = choices

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.choices:
            raise fail("not_one_of", choices=", ".join(self.choices))
        return text


def _check_range(number: Any, low: Any, high: Any) -> None:
    if low is not None and number < low:
        raise fail("too_small", min=low)
    if high is not None and number > high:
        raise fail("too_large", max=high)


class List(fields.List):
    default_error_messages = {**_COMMON, "invalid": [problem("not_a_list")]}


class Nested(fields.Nested):
    default_error_messages = {**_COMMON, "type": [problem("not_a_mapping")]}
