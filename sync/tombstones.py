"""Retiring old tombstones from the change feed, never forgetting a deleted id.

A deleted record stays as a tombstone so that devices learn of the delete. After the
horizon, the purge mark moves up to the newest change number of the tombstones older
than it: a device whose cursor is older is told to resync (a full download carries live
records only) instead of being served a history that reaches that far back. Each move
counts a generation, carried in the cursors handed out after it: a full download started
after the purge pages from below the mark, and its cursors stay good (decision 90).

The tombstone row itself is kept for good. A device's outbox may hold an edit of the
record for months (it pushes it on resync, PROTOCOL §5); were the row gone, that edit
would recreate the record as new. With the row kept, it is an ``edit_deleted`` conflict,
visible to the branch and its reviewers and restorable by a ``client`` resolution. A
first version deleted the rows, and deleted records came back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .collection import Registry
from .tables import sync_state


def purge(session: Session, registry: Registry, *, deleted_before: datetime) -> int:
    """Retire tombstones deleted before ``deleted_before`` from the change feed; return
    how many were newly retired (older than the horizon and above the previous mark).
    Caller commits."""
    mark = session.scalar(select(sync_state.c.purged_through).where(sync_state.c.id == 1)) or 0
    retired = 0
    top = mark
    for coll in registry:
        model = coll.model
        old = (
            model.deleted_at.is_not(None),
            model.deleted_at < deleted_before,
            model.change_seq > mark,
        )
        count, newest = session.execute(
            select(func.count(), func.max(model.change_seq)).where(*old)
        ).one()
        if count:
            retired += int(count)
            top = max(top, int(newest))
    if top > mark:
        session.execute(
            update(sync_state)
            .where(sync_state.c.id == 1, sync_state.c.purged_through < top)
            .values(purged_through=top, purge_generation=sync_state.c.purge_generation + 1)
        )
    return retired
