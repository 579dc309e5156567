"""Expiring tombstones.

A deleted record stays as a tombstone so that devices learn of the delete. After the
horizon it is purged for good, and the purge mark moves up to the newest change number
purged: a device whose cursor is older may have missed a delete, so it is told to resync
instead of being served a history with holes in it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .collection import Registry
from .tables import sync_state


def purge(session: Session, registry: Registry, *, deleted_before: datetime) -> int:
    """Delete tombstones older than ``deleted_before``; return how many. Caller commits."""
    purged = 0
    mark = 0
    for coll in registry:
        model = coll.model
        old = (model.deleted_at.is_not(None), model.deleted_at < deleted_before)
        top = session.scalar(select(func.max(model.change_seq)).where(*old))
        if top is None:
            continue
        mark = max(mark, int(top))
        purged += session.execute(delete(model).where(*old)).rowcount or 0
    if mark:
        session.execute(
            update(sync_state)
            .where(sync_state.c.id == 1, sync_state.c.purged_through < mark)
            .values(purged_through=mark)
        )
    return purged
