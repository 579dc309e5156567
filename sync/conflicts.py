"""Listing and resolving the conflicts the merge kept.

Resolving with ``server`` keeps what the server has; with ``client`` the device's value
(or its edit of a deleted record, or its delete) is applied now, as a new change that
every device will pull.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from .collection import Collection, Registry
from .records import ServerChanges
from .tables import sync_conflicts


class ConflictError(Exception):
    """``code`` is ``not_found``, ``conflict_resolved`` or a problem from the rules."""

    def __init__(self, code: str, problem: dict | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.problem = problem


def open_conflicts(record_ids: Select[Any] | list[uuid.UUID]) -> Select[Any]:
    """Unresolved conflicts of the given records, oldest first."""
    return (
        select(sync_conflicts)
        .where(sync_conflicts.c.record_id.in_(record_ids), sync_conflicts.c.resolved_at.is_(None))
        .order_by(sync_conflicts.c.created_at)
    )


def conflict_target(session: Session, conflict_id: uuid.UUID) -> tuple[str, uuid.UUID] | None:
    """(collection, record id) of a conflict, so the app can check who may resolve it."""
    row = session.execute(
        select(sync_conflicts.c.collection, sync_conflicts.c.record_id).where(
            sync_conflicts.c.id == conflict_id
        )
    ).one_or_none()
    return (row.collection, row.record_id) if row else None


def resolve(
    session: Session,
    registry: Registry,
    conflict_id: uuid.UUID,
    *,
    choice: str,
    actor: Any,
    actor_key: str,
    now: datetime,
) -> dict[str, Any]:
    row = session.execute(
        select(sync_conflicts).where(sync_conflicts.c.id == conflict_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise ConflictError("not_found")
    if row.resolved_at is not None:
        raise ConflictError("conflict_resolved")
    coll = registry.get(row.collection)
    obj = session.get(coll.model, row.record_id, with_for_update=True) if coll else None
    if coll is None or obj is None:
        raise ConflictError("not_found")

    if choice == "client":
        _take_client(session, coll, obj, row, actor, now)
    elif choice != "server":
        raise ValueError(f"unknown choice {choice!r}")
    session.execute(
        update(sync_conflicts)
        .where(sync_conflicts.c.id == conflict_id)
        .values(resolved_at=now, resolved_by=actor_key, resolution=choice)
    )
    session.flush()
    return {
        "id": str(conflict_id),
        "resolution": choice,
        "record_id": str(obj.id),
        "version": obj.version,
        "deleted": obj.deleted_at is not None,
    }


def _take_client(
    session: Session, coll: Collection, obj: Any, row: Any, actor: Any, now: datetime
) -> None:
    """Apply the device's side now, as a new change of the record every device pulls."""
    changes = ServerChanges(session, coll)
    if row.kind == "field":
        wire = {f: v for f, v in coll.to_wire(obj).items() if f in coll.fields}
        values = _load(coll, {**wire, row.field: row.client_value, "id": str(obj.id)}, actor)
        _allowed(coll, actor, obj, values, "update")
        changes.update(obj, [row.field])
        coll.write(obj, {row.field: values[row.field]}, actor, created=False)
    elif row.kind == "edit_deleted":
        values = _load(coll, {**row.client_value, "id": str(obj.id)}, actor)
        _allowed(coll, actor, obj, values, "restore")
        changes.restore(obj)
        coll.write(obj, values, actor, created=False)
    elif row.kind == "delete_edited":
        _allowed(coll, actor, obj, None, "delete")
        changes.delete(obj, now)
        coll.write(obj, {}, actor, created=False)
    changes.number()


def _load(coll: Collection, wire: dict, actor: Any) -> dict:
    loaded = coll.load(wire, actor)
    if loaded.errors:
        raise ConflictError("validation_failed", {"errors": loaded.errors})
    return loaded.values


def _allowed(coll: Collection, actor: Any, obj: Any, values: dict | None, op: str) -> None:
    found = coll.check(actor, obj, values, op)
    if found:
        raise ConflictError(found["code"], found)
