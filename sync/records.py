"""The server's own changes of synced records: the one way to make them outside a push.

A reviewer's decision, a conflict resolved on the dashboard, records seeded or imported:
each is a change every device must pull, so it gets what a pushed change gets —

* a new version (a device's next edit is merged against it);
* the synced fields it set marked as changed at that version (``field_versions``), so a
  phone's offline edit of one of them, made before it saw the change, becomes a kept
  conflict instead of silently undoing it (decisions 14, 28);
* a change number taken last, just before the caller commits, under the counter's lock
  (:mod:`sync.changes`), so no pull can pass it while it is uncommitted (decisions 4, 11).

The caller sets the record's own fields (as its rules say) and tells this module what it
did; this module keeps the bookkeeping. Usage::

    changes = ServerChanges(session, collection)
    activity.status = "verified"
    changes.update(activity, ["status"])
    ...
    changes.number()  # last, then the caller commits
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .changes import number
from .collection import Collection

#: New records are written this many at a time (a seed brings thousands).
INSERT_CHUNK = 500


class ServerChanges:
    """Changes the server makes to records of one collection in the caller's transaction."""

    def __init__(self, session: Session, collection: Collection) -> None:
        self.session = session
        self.collection = collection
        # Each record once, in the order first touched: the order of its change number.
        self._touched: dict[int, Any] = {}
        self._created: list[Any] = []

    def create(self, obj: Any) -> None:
        """A new record (not yet in the session: :meth:`number` adds it, numbered)."""
        obj.version = 1
        obj.deleted_at = None
        obj.field_versions = {f: 1 for f in self.collection.fields}
        self._created.append(obj)
        self._touched[id(obj)] = obj

    def update(self, obj: Any, fields: Iterable[str]) -> None:
        """The caller changed ``fields`` of a stored record (those that are not synced
        fields, such as a reviewer's comment, need no mark: they travel in the record)."""
        self._bump(obj)
        marks = {f: obj.version for f in fields if f in self.collection.fields}
        if marks:
            obj.field_versions = {**(obj.field_versions or {}), **marks}

    def delete(self, obj: Any, now: datetime) -> None:
        """Make the record a tombstone (the row stays: decision 47)."""
        self._bump(obj)
        obj.deleted_at = now

    def restore(self, obj: Any) -> None:
        """Bring a tombstone back with the fields the caller set: every one counts as
        changed now."""
        self._bump(obj)
        obj.deleted_at = None
        obj.field_versions = {f: obj.version for f in self.collection.fields}

    def _bump(self, obj: Any) -> None:
        if id(obj) in self._touched:
            return  # one change per record per transaction
        obj.version += 1
        self._touched[id(obj)] = obj

    def number(self) -> None:
        """Number the changes and write them. Call it last: from here to the caller's
        commit, every other writer waits for the counter."""
        if not self._touched:
            return
        # Everything else first, so the counter's lock covers only the numbering.
        self.session.flush()
        number(self.session, list(self._touched.values()))
        for i in range(0, len(self._created), INSERT_CHUNK):
            self.session.add_all(self._created[i : i + INSERT_CHUNK])
            self.session.flush()
        self.session.flush()
        self._touched.clear()
        self._created.clear()
