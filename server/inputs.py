"""Numbers and text from URLs and forms, bounded before they reach the database.

Ids are ``INTEGER`` columns: PostgreSQL refuses a value past 2^31 − 1 with an error (a 500),
where SQLite simply finds nothing; Python's ``int()`` refuses more than 4,300 digits; and
PostgreSQL cannot hold NUL in text at all, not even to compare. Each is answered here, the
same way on both databases, before any query runs (decision 112).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from schemas.fields import MAX_INT

#: The largest id a row can have (PostgreSQL ``INTEGER``).
MAX_ID = MAX_INT


def _up_to(bound: str) -> str:
    """A pattern for the whole numbers 1 … ``bound`` (written without leading zeros)."""
    shorter = f"[1-9][0-9]{{0,{len(bound) - 2}}}"
    same_length = []
    for i, digit in enumerate(bound):
        if digit != "0":
            low = "1" if i == 0 else "0"
            rest = len(bound) - i - 1
            if int(digit) - 1 >= int(low):
                same_length.append(f"{bound[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    same_length.append(bound)
    return "(?:" + "|".join([shorter, *same_length]) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 1 … MAX_ID in ASCII digits without leading zeros, else
    the route does not match (404), never a query with a number the column cannot hold.
    The bound is in the pattern, not only in ``max``: werkzeug answers a number the
    converter refuses after matching with 405 when another method's rule has the path."""

    regex = _up_to(str(MAX_INT))

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bounded_int(text: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number within ``low`` … ``high``, or None (ASCII digits only:
    ``"²".isdigit()`` is true, ``int("²")`` is not)."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _refuse_nul() -> None:
    """A NUL in a query string, a form field or the path is nothing a person typed: refuse
    the request (400) before a query sends it to PostgreSQL."""
    if request.path.startswith("/api/"):
        # The API reads its own inputs: bodies as JSON (NUL removed, api/protocol.py), its
        # one query parameter as a UUID; reading a body here as a form would consume it.
        return
    if "\x00" in request.path:
        abort(400, "NUL in the path")
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, "NUL in a query or form field")


def register_converters(app: Flask) -> None:
    """Before any blueprint is registered: its rules take the converter they find."""
    app.url_map.converters["int"] = IdConverter


def register(app: Flask) -> None:
    app.before_request(_refuse_nul)
