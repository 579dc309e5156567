"""Who the sync engine records as the author of a change: ``user:<id>``.

The engine keeps an opaque actor key with every mutation it logs and every conflict it
keeps or resolves; it knows nothing of users. This module is the one place that makes a
key from a user and reads one back, in Python and in SQL (a query of the keys of many
users, e.g. those a reviewer may see, without listing them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal

PREFIX = "user:"


def actor_key(user_id: int) -> str:
    return f"{PREFIX}{user_id}"


def actor_key_sql(user_id: ColumnElement[Any]) -> ColumnElement[str]:
    """:func:`actor_key` in SQL, for a column of user ids."""
    return literal(PREFIX).concat(cast(user_id, String))


def user_id_of(key: str) -> int | None:
    """The user a key names, or None for a key that names none."""
    if not key.startswith(PREFIX):
        return None
    try:
        return int(key[len(PREFIX) :])
    except ValueError:
        return None
