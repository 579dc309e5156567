"""Server-assigned change numbers.

One counter row, bumped with ``UPDATE … RETURNING`` by the writing transaction just before
it commits. The row lock is held until that commit, so numbers become visible in the
order they were handed out: a reader that has seen number N can never later find a
smaller number committed behind it. (On SQLite the single writer gives the same.)
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.orm import Session

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: One row (id = 1): the last change number handed out, and the database's epoch, a
#: random id made when the database was created, carried in cursors.
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_change", BigInteger, nullable=False),
    Column("epoch", String(36), nullable=False),
)


def allocate(session: Session, count: int = 1) -> range:
    """Reserve ``count`` consecutive change numbers inside the caller's transaction."""
    if count < 1:
        raise ValueError("count must be at least 1")
    last = session.execute(
        update(sync_state)
        .where(sync_state.c.id == 1)
        .values(last_change=sync_state.c.last_change + count)
        .returning(sync_state.c.last_change)
    ).scalar_one()
    return range(last - count + 1, last + 1)


def current(session: Session) -> tuple[int, str]:
    """The last change number handed out and the database epoch."""
    row = session.execute(select(sync_state.c.last_change, sync_state.c.epoch)).one()
    return int(row.last_change), str(row.epoch)
