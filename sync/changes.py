"""Server-assigned change numbers.

One counter row, bumped with ``UPDATE … RETURNING`` by the writing transaction just before
it commits. The row lock is held until that commit, so numbers become visible in the
order they were handed out: a reader that has seen number N can never later find a
smaller number committed behind it. (On SQLite the single writer gives the same.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .tables import sync_state

__all__ = ["State", "allocate", "current", "number", "sync_state"]


def allocate(session: Session, count: int = 1) -> range:
    """Reserve ``count`` consecutive change numbers inside the caller's transaction.

    Call it as late as possible: from here to the commit, every other writer waits.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    last = session.execute(
        update(sync_state)
        .where(sync_state.c.id == 1)
        .values(last_change=sync_state.c.last_change + count)
        .returning(sync_state.c.last_change)
    ).scalar_one()
    return range(last - count + 1, last + 1)


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


def current(session: Session) -> State:
    """The last change number handed out (as committed), the epoch, the purge mark."""
    row = session.execute(
        select(sync_state.c.last_change, sync_state.c.epoch, sync_state.c.purged_through)
    ).one()
    return State(int(row.last_change), str(row.epoch), int(row.purged_through))
