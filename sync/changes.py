"""Server-assigned change numbers.

One counter row, bumped with ``UPDATE … RETURNING`` by the writing transaction just before
it commits. The row lock is held until that commit, so numbers become visible in the
order they were handed out: a reader that has seen number N can never later find a
smaller number committed behind it. (On SQLite the single writer gives the same.)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, literal, select, update
from sqlalchemy.orm import Session

from .tables import sync_change_tokens, sync_state

__all__ = [
    "NO_TOKEN",
    "State",
    "allocate",
    "current",
    "number",
    "sync_state",
    "token_of",
]

#: The token of change number 0 (nothing yet), and of any number no numbering holds (one
#: given without :func:`allocate`, as a benchmark's bulk load does).
NO_TOKEN = "000000"


def allocate(session: Session, count: int = 1) -> range:
    """Reserve ``count`` consecutive change numbers inside the caller's transaction.

    Call it as late as possible: from here to the commit, every other writer waits. The
    numbers get a fresh random token (``sync_change_tokens``): if a restore from a backup
    ever hands the same numbers out again, they carry another token, and a cursor that
    points at one of the old ones is told to resync instead of silently skipping the new.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    last = session.execute(
        update(sync_state)
        .where(sync_state.c.id == 1)
        .values(last_change=sync_state.c.last_change + count)
        .returning(sync_state.c.last_change)
    ).scalar_one()
    session.execute(
        insert(sync_change_tokens).values(
            first=last - count + 1, upto=last, token=secrets.token_hex(3)
        )
    )
    return range(last - count + 1, last + 1)


def _token_query(change: Any) -> Any:
    """The token of the numbering that holds ``change`` (a value or a SQL expression):
    the first numbering ending at or after it, if it also starts at or before it. Numbers
    no numbering holds have :data:`NO_TOKEN`, always, whatever is numbered later."""
    t = sync_change_tokens.c
    held = case((t.first <= change, t.token), else_=literal(NO_TOKEN))
    found = select(held).where(t.upto >= change).order_by(t.upto).limit(1).scalar_subquery()
    return func.coalesce(found, literal(NO_TOKEN))


def token_of(session: Session, change: int) -> str:
    """The token of change number ``change`` (one indexed read)."""
    if change <= 0:
        return NO_TOKEN
    return str(session.execute(select(_token_query(change))).scalar_one())


def number(session: Session, records: Sequence[Any]) -> None:
    """Give each record the next change number, in the order given.

    The numbers are taken without flushing first: whatever the session still holds is
    written afterwards, with the numbers, by the caller's next flush.
    """
    if not records:
        return
    with session.no_autoflush:
        numbers = allocate(session, len(records))
    for obj, n in zip(records, numbers, strict=True):
        obj.change_seq = n


@dataclass(frozen=True)
class State:
    last_change: int
    epoch: str
    purged_through: int
    purge_generation: int = 0
    #: The token of ``last_change``.
    last_token: str = NO_TOKEN
    #: The token of the number asked about in :func:`current` (``at``), if any.
    token_at: str | None = None


def current(session: Session, at: int | None = None) -> State:
    """The last change number handed out (as committed), the epoch, the purge mark and
    generation, the token of the last change; with ``at``, also the token of change number
    ``at``. One statement: an idle poll checks its cursor's fingerprint and gets the one
    of its next cursor at no extra cost (two index look-ups inside it)."""
    s = sync_state.c
    asked = _token_query(at) if at else literal(NO_TOKEN)
    row = session.execute(
        select(
            s.last_change,
            s.epoch,
            s.purged_through,
            s.purge_generation,
            case((s.last_change > 0, _token_query(s.last_change)), else_=literal(NO_TOKEN)).label(
                "last_token"
            ),
            asked.label("token_at"),
        ).where(s.id == 1)
    ).one()
    return State(
        int(row.last_change),
        str(row.epoch),
        int(row.purged_through),
        int(row.purge_generation),
        str(row.last_token),
        None if at is None else str(row.token_at),
    )
