"""Handing out changes after a cursor, in order, in bounded pages, never skipping one.

The last change number is read *before* the records: every transaction that took a number
up to it has committed (numbers are taken under a lock held to commit, see
:mod:`sync.changes`), so everything up to it is visible to the next statement, and the new
cursor never passes a change the device has not been given.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .changes import current
from .collection import Registry
from .cursor import Cursor, decode, epoch_tag
from .errors import ResyncRequired

MAX_PAGE = 1000
DEFAULT_PAGE = 500


@dataclass
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool


def pull(
    session: Session,
    registry: Registry,
    *,
    scope: Any,
    scope_tag: str,
    cursor: str | None,
    limit: int = DEFAULT_PAGE,
) -> Page:
    """One page of changes visible to ``scope`` after ``cursor`` (None: a full download,
    live records only). Raises :class:`ResyncRequired` when the cursor cannot be served."""
    limit = max(1, min(limit, MAX_PAGE))
    state = current(session)
    epoch = epoch_tag(state.epoch)
    full = cursor is None
    since = 0
    if not full:
        c = decode(cursor)
        if c.epoch != epoch:
            raise ResyncRequired("the cursor is from another database", reason="epoch_changed")
        if c.scope != scope_tag:
            raise ResyncRequired("what this device may see has changed", reason="scope_changed")
        if c.change > state.last_change:
            raise ResyncRequired("the cursor is ahead of this database", reason="cursor_ahead")
        if c.change < state.purged_through:
            raise ResyncRequired(
                "the cursor is older than the deletion horizon", reason="cursor_expired"
            )
        since = c.change

    streams = []
    for coll in registry:
        model = coll.model
        query = (
            # Plain rows, not ORM objects: a page is read, never changed, and building
            # objects was half the cost of a pull.
            select(*[c for c in model.__table__.c if c.name not in coll.pull_skips])
            .where(
                model.change_seq > since, model.change_seq <= state.last_change, coll.visible(scope)
            )
            .order_by(model.change_seq)
            .limit(limit + 1)
        )
        if full:
            query = query.where(model.deleted_at.is_(None))
        rows = session.execute(query).all()
        streams.append([(r.change_seq, coll.name, coll, r) for r in rows])
        if len(rows) > limit:
            # This collection alone fills the page: rows past it are not needed.
            streams[-1] = streams[-1][: limit + 1]
    merged = list(heapq.merge(*streams, key=lambda t: t[0]))
    has_more = len(merged) > limit
    merged = merged[:limit]
    changes = [
        {
            "collection": name,
            "id": str(obj.id),
            "version": obj.version,
            "deleted": obj.deleted_at is not None,
            "record": None if obj.deleted_at is not None else coll.to_wire(obj),
        }
        for _seq, name, coll, obj in merged
    ]
    upto = merged[-1][0] if has_more else state.last_change
    return Page(changes, Cursor(epoch, upto, scope_tag).encode(), has_more)
