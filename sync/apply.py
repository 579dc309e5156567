"""Applying one batch's new mutations, each to its record, and writing what they did.

Rules checked before anything is changed, so in the ordinary (fast) mode a rejection
leaves nothing to undo and the whole batch is written at the end: records, change
numbers, log and conflicts. In safe mode (taken when the database refused a row) each
mutation runs in its own savepoint, so only the culprit is rejected.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from schemas.errors import problem

from . import log
from .changes import number
from .collection import Collection, Registry
from .merge import merge, unseen
from .tables import sync_conflicts


class NewRecord(SimpleNamespace):
    """A record a batch creates, held as plain attributes until the batch's new records
    are written together (:meth:`Collection.insert_new`). As on a fresh ORM object, an
    attribute never set reads as None (a new activity's ``review_comment``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


class Applier:
    """One batch's new mutations, applied in order by one device's actor."""

    def __init__(
        self,
        session: Session,
        registry: Registry,
        *,
        device_id: uuid.UUID,
        actor: Any,
        actor_key: str,
        now: datetime,
        safe: bool = False,
    ) -> None:
        self.session = session
        self.registry = registry
        self.device_id = device_id
        self.actor = actor
        self.actor_key = actor_key
        self.now = now
        # Safe mode: a savepoint and a flush per mutation, so a row the database refuses
        # rejects only its own mutation. Fast mode writes the whole batch at the end.
        self.safe = safe
        self.found: dict[tuple[str, uuid.UUID], Any] = {}
        self.history = log.History()
        self.touched: dict[tuple[str, uuid.UUID], Any] = {}
        self.rejected: dict[tuple[str, uuid.UUID], int] = {}
        self.log_rows: list[dict[str, Any]] = []
        self.conflict_rows: list[dict[str, Any]] = []

    def run(self, mutations: list[dict]) -> list[dict]:
        self.prefetch(mutations)
        results = [self.apply(m) for m in mutations]
        self.finish()
        return results

    def prefetch(self, mutations: list[dict]) -> None:
        """Load (and lock) every record the batch names, and this device's earlier
        mutations of those that exist, in one query each instead of one per mutation.
        (A record the server does not have has no history that matters: the merge only
        runs on stored records.)"""
        by_collection: dict[str, set[uuid.UUID]] = {}
        for m in mutations:
            by_collection.setdefault(m["collection"], set()).add(uuid.UUID(str(m["id"])))
        stored: set[uuid.UUID] = set()
        for name, ids in by_collection.items():
            coll = self.registry.get(name)
            if coll is None:
                continue
            rows = self.session.scalars(
                select(coll.model).where(coll.model.id.in_(ids)).with_for_update()
            ).all()
            self.found.update({(name, r.id): r for r in rows})
            stored.update(r.id for r in rows)
            for rid in ids:
                self.found.setdefault((name, rid), None)
        self.history.load(self.session, self.device_id, stored)

    def _get(self, coll: Collection, record_id: uuid.UUID) -> Any:
        key = (coll.name, record_id)
        if key not in self.found:
            self.found[key] = self.session.get(coll.model, record_id, with_for_update=True)
        return self.found[key]

    # -- one mutation -------------------------------------------------------------------
    def apply(self, m: dict[str, Any]) -> dict[str, Any]:
        n = m["n"]
        coll = self.registry.get(m["collection"])
        record_id = uuid.UUID(str(m["id"]))
        key = (m["collection"], record_id)
        conflicts: list[dict] = []
        obj = None
        if coll is None:
            result = _rejected(n, record_id, problem("unknown_collection"))
        elif key in self.rejected:
            blocked = problem("blocked_by_rejected", n=self.rejected[key])
            result = _rejected(n, record_id, blocked)
        elif self.safe:
            result, obj = self._in_savepoint(coll, m, record_id, conflicts)
        else:
            result, obj = self._one(coll, m, record_id, conflicts)
        if result["status"] == "rejected":
            self.rejected[key] = n
        if obj is not None:
            self.touched[key] = obj
        for c in conflicts:
            self._keep_conflict(coll, record_id, n, c)
        if conflicts:
            result["conflicts"] = [
                {k: c[k] for k in ("id", "kind", "field", "server_value", "client_value")}
                for c in conflicts
            ]
        produced = obj.version if obj is not None else None
        row = log.log_row(
            m,
            record_id,
            result,
            produced,
            device_id=self.device_id,
            actor_key=self.actor_key,
            now=self.now,
        )
        self.history.add(record_id, n, produced, row["base_version"] or 0, row["copied"])
        self.log_rows.append(row)
        return result

    def _in_savepoint(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        savepoint = self.session.begin_nested()
        try:
            result, obj = self._one(coll, m, record_id, conflicts)
            self.session.flush()
        except (IntegrityError, DataError):
            conflicts.clear()
            result, obj = _rejected(m["n"], record_id, problem("storage_refused")), None
        except BaseException:
            savepoint.rollback()
            raise
        if result["status"] == "rejected":
            savepoint.rollback()
            self.found.pop((coll.name, record_id), None)
            return result, None
        savepoint.commit()
        return result, obj

    def _one(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        if m["op"] == "delete":
            return self._delete(coll, m, record_id, conflicts)
        return self._upsert(coll, m, record_id, conflicts)

    def _upsert(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        n = m["n"]
        loaded = coll.load({**(m.get("record") or {}), "id": str(record_id)}, self.actor)
        if loaded.errors:
            return _rejected(n, record_id, problem("validation_failed"), loaded.errors), None
        existing = self._get(coll, record_id)
        if existing is None:
            return self._create(coll, m, record_id, loaded.values)

        if existing.deleted_at is not None:
            # Who may write it comes first: an edit of another branch's deleted record must
            # learn nothing (no version, no "deleted") and plant no conflict. And a record
            # that could not be restored as sent is refused now, not kept as a conflict
            # nobody could resolve.
            found = coll.check(self.actor, existing, loaded.values, "restore")
            if found:
                return _rejected(n, record_id, found), None
            conflicts.append(_conflict("edit_deleted", None, None, loaded.wire, m, existing))
            return _answer(n, record_id, "conflict", existing), None
        found = coll.check(self.actor, existing, loaded.values, "update")
        if found:
            return _rejected(n, record_id, found), None

        changed = m.get("changed")
        changed = list(coll.fields) if changed is None else changed
        unknown = [f for f in changed if f not in coll.fields and f not in coll.unmerged]
        if unknown:
            errs = {f: [problem("unknown_field")] for f in unknown}
            return _rejected(n, record_id, problem("validation_failed"), errs), None
        # Fields the server owns or took at creation: accepted and ignored.
        changed = [f for f in changed if f in coll.fields]
        current = coll.to_wire(existing)
        behind = unseen(coll.fields, existing, self.history, record_id, m)
        result = merge(changed, loaded.wire, current, behind)
        for f, server_value, client_value in result.conflicts:
            conflicts.append(_conflict("field", f, server_value, client_value, m, existing))
        if result.apply:
            existing.version += 1
            existing.field_versions = {
                **(existing.field_versions or {}),
                **{f: existing.version for f in result.apply},
            }
            coll.write(
                existing, {f: loaded.values[f] for f in result.apply}, self.actor, created=False
            )
            if self.safe:
                self.session.flush()
        answer = _answer(n, record_id, result.status, existing)
        # The server's copy goes back when it differs from what the device sent (values it
        # did not take, or took normalised), so the device need not wait for a pull that
        # may already have passed this record.
        # The fields a device writes are ``after``; the copy is rendered only when sent.
        after = {**current, **{f: loaded.wire[f] for f in result.apply}}
        if coll.differs(m.get("record") or {}, after):
            answer["record"] = coll.to_wire(existing) if result.apply else current
        return answer, (existing if result.apply else None)

    def _create(
        self, coll: Collection, m: dict, record_id: uuid.UUID, values: dict[str, Any]
    ) -> tuple[dict, Any]:
        n = m["n"]
        found = coll.check(self.actor, None, values, "create")
        if found:
            return _rejected(n, record_id, found), None
        # Fast mode holds a new record as plain attributes and writes all of a batch's
        # new records at the end in one statement (Collection.insert_new): 200 ORM
        # objects through the unit of work were a third of a push's time. Safe mode
        # keeps the ORM, to flush each record inside its own savepoint.
        make = coll.model if self.safe else NewRecord
        obj = make(
            id=record_id,
            version=1,
            change_seq=0,
            field_versions={f: 1 for f in coll.fields},
            deleted_at=None,
        )
        coll.write(obj, values, self.actor, created=True)
        self.found[(coll.name, record_id)] = obj
        if self.safe:
            self.session.add(obj)
            self.session.flush()
        answer = _answer(n, record_id, "applied", obj)
        stored = coll.to_wire(obj)
        if coll.differs(m["record"], stored):
            answer["record"] = stored
        return answer, obj

    def _delete(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        n = m["n"]
        existing = self._get(coll, record_id)
        if existing is None or not coll.readable(self.actor, existing):
            # Never reached the server (or was refused), or is none of this user's
            # business: nothing to delete that they can see. One answer for both, so a
            # delete cannot probe whether an id exists in another branch.
            gone = {"n": n, "id": str(record_id), "status": "applied", "version": None}
            return {**gone, "deleted": True}, None
        found = coll.check(self.actor, existing, None, "delete")
        if found:
            return _rejected(n, record_id, found), None
        if existing.deleted_at is not None:
            return _answer(n, record_id, "applied", existing), None
        if unseen(coll.fields, existing, self.history, record_id, m):
            conflicts.append(_conflict("delete_edited", None, None, None, m, existing))
            answer = _answer(n, record_id, "conflict", existing)
            answer["record"] = coll.to_wire(existing)
            return answer, None
        existing.version += 1
        existing.deleted_at = self.now
        coll.write(existing, {}, self.actor, created=False)
        if self.safe:
            self.session.flush()
        return _answer(n, record_id, "applied", existing), existing

    # -- bookkeeping ----------------------------------------------------------------------
    def _keep_conflict(self, coll: Collection, record_id: uuid.UUID, n: int, c: dict) -> None:
        self.conflict_rows.append(
            {
                **{k: c[k] for k in ("kind", "field", "server_value", "client_value")},
                "id": uuid.UUID(c["id"]),
                "collection": coll.name,
                "record_id": record_id,
                "base_version": c["base_version"],
                "server_version": c["server_version"],
                "device_id": self.device_id,
                "mutation_n": n,
                "actor": self.actor_key,
                "created_at": self.now,
            }
        )

    def finish(self) -> None:
        """Number the changes, write the records, the log and the conflicts.

        The numbers are taken last, just before the caller commits, so the counter's lock
        is held only for these few statements.
        """
        number(self.session, list(self.touched.values()))
        created: dict[str, list[NewRecord]] = {}
        for (name, _rid), obj in self.touched.items():
            if isinstance(obj, NewRecord):
                created.setdefault(name, []).append(obj)
        for name, records in created.items():
            self.registry.get(name).insert_new(self.session, records)
        self.session.flush()
        log.write(self.session, self.log_rows)
        if self.conflict_rows:
            self.session.execute(insert(sync_conflicts), self.conflict_rows)


def _conflict(
    kind: str, field: str | None, server_value: Any, client_value: Any, m: dict, existing: Any
) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "field": field,
        "server_value": server_value,
        "client_value": client_value,
        "base_version": m.get("base_version"),
        "server_version": existing.version,
    }


def _answer(n: int, record_id: uuid.UUID, status: str, obj: Any) -> dict[str, Any]:
    return {
        "n": n,
        "id": str(record_id),
        "status": status,
        "version": obj.version,
        "deleted": obj.deleted_at is not None,
    }


def _rejected(
    n: int, record_id: uuid.UUID, reason: dict, errors: dict | None = None
) -> dict[str, Any]:
    out = {"n": n, "id": str(record_id), "status": "rejected", "reason": reason}
    if errors:
        out["errors"] = errors
    return out
