"""Handing out changes after a cursor, in order, in bounded pages, never skipping one.

The last change number is read *before* the records: every transaction that took a number
up to it has committed (numbers are taken under a lock held to commit, see
:mod:`sync.changes`), so everything up to it is visible to the next statement, and the new
cursor never passes a change the device has not been given.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import String, cast, select, type_coerce
from sqlalchemy.orm import Session

from schemas.sync import DEFAULT_PAGE, MAX_PAGE

from .changes import State, current, token_of
from .collection import Collection, Registry
from .cursor import Cursor, decode, epoch_tag
from .errors import ResyncRequired


@dataclass
class Page:
    """One page: each change already as JSON text, so a big download is joined, not
    encoded again (see :attr:`sync.collection.Collection.wire_column`)."""

    fragments: list[str]
    cursor: str
    has_more: bool

    @property
    def changes(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.fragments]

    def to_json(self, extra: dict[str, Any] | None = None) -> str:
        """The page as the protocol's answer, with any ``extra`` members."""
        head = json.dumps(
            {"cursor": self.cursor, "has_more": self.has_more, **(extra or {})},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return head[:-1] + ',"changes":[' + ",".join(self.fragments) + "]}"


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _uuid_text(value: Any) -> str:
    """A UUID's canonical text from the id cast to text in SQL (PostgreSQL answers the
    canonical form; SQLite keeps 32 hex digits). Parsing 20,000 ids into objects just to
    print them again was a fifth of a first download's time."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _fragment(name: str, row: Any, coll: Collection) -> str:
    """A change as JSON text: ``{"collection", "id", "version", "deleted", "record"}``
    (``name`` is the collection's name already encoded)."""
    rid, version = _uuid_text(row.id), int(row.version)
    head = f'{{"collection":{name},"id":"{rid}","version":{version},"deleted":'
    if row.deleted_at is not None:
        return head + 'true,"record":null}'
    if coll.wire_column is None:
        return head + f'false,"record":{_encode(coll.to_wire(row))}}}'
    return head + f'false,"record":{getattr(row, coll.wire_column)}}}'


def _columns(coll: Collection) -> list[Any]:
    model = coll.model
    if coll.wire_column is None:
        # Plain rows, not ORM objects: a page is read, never changed.
        return [c for c in model.__table__.c if c.name not in coll.pull_skips]
    return [
        model.change_seq,
        cast(model.id, String).label("id"),  # text, not uuid.UUID objects: see _uuid_text
        model.version,
        type_coerce(model.deleted_at, String).label("deleted_at"),  # only None or not
        getattr(model, coll.wire_column),
    ]


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
    c = None if cursor is None else decode(cursor)
    state = current(session, at=c.change if c is not None and c.version == 2 else None)
    epoch = epoch_tag(state.epoch)
    full = c is None
    since = 0
    if c is not None:
        _check(c, state, epoch, scope_tag)
        since = c.change

    streams = []
    for coll in registry:
        model = coll.model
        query = (
            select(*_columns(coll))
            .where(
                model.change_seq > since, model.change_seq <= state.last_change, coll.visible(scope)
            )
            .order_by(model.change_seq)
            .limit(limit + 1)
        )
        if full:
            query = query.where(model.deleted_at.is_(None))
        rows = session.connection().execute(query).all()  # Core: no ORM rows
        name = _encode(coll.name)
        streams.append([(r.change_seq, name, coll, r) for r in rows])
    merged = list(islice(heapq.merge(*streams, key=lambda t: t[0]), limit + 1))
    has_more = len(merged) > limit
    merged = merged[:limit]
    fragments = [_fragment(name, row, coll) for _seq, name, coll, row in merged]
    upto = merged[-1][0] if has_more else state.last_change
    token = state.last_token if upto == state.last_change else token_of(session, upto)
    made = Cursor(epoch, upto, scope_tag, state.purge_generation, token)
    return Page(fragments, made.encode(state.epoch), has_more)


def _check(c: Cursor, state: State, epoch: str, scope_tag: str) -> None:
    """Refuse a cursor that cannot be served, most telling reason first (PROTOCOL §5)."""
    if c.epoch != epoch:
        raise ResyncRequired("the cursor is from another database", reason="epoch_changed")
    if not c.authentic(state.epoch):
        raise ResyncRequired("the cursor is not one this server made", reason="bad_cursor")
    if c.scope != scope_tag:
        raise ResyncRequired("what this device may see has changed", reason="scope_changed")
    if c.change > state.last_change:
        raise ResyncRequired("the cursor is ahead of this database", reason="cursor_ahead")
    if c.version == 2 and c.token != state.token_at:
        raise ResyncRequired(
            "the change the cursor points at is not the one this database holds"
            " (restored from a backup)",
            reason="history_changed",
        )
    if c.change < state.purged_through and c.generation != state.purge_generation:
        raise ResyncRequired(
            "the cursor is older than the deletion horizon", reason="cursor_expired"
        )
