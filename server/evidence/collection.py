"""Evidence records as a synced collection: the app's side of the engine's contract.

A record belongs to its activity's branch: devices of the branch see and write it, staff
read their subtree, like activities. The fields the phone declares about the file (its
hash, size, type, pixels) are taken once and can never change, so a hash the server has
verified always describes the file it holds. Whether the server holds the file
(``stored``…) is the server's own, changed only by an upload (:mod:`.uploads`) through
:class:`sync.records.ServerChanges`, so every device pulls it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import ColumnElement, case, func, select

from schemas.errors import problem
from schemas.evidence import FIELDS, IMMUTABLE, SERVER_OWNED, EvidenceSchema
from sync.collection import Collection, Loaded
from sync.records import ServerChanges

from ..extensions import db
from ..models import Activity, User
from ..models.evidence import Evidence
from ..models.types import utcnow
from ..policy import ReadScope, visible_unit_ids, writable_unit_ids

#: Columns the server keeps of its file: copied from another record of the branch that
#: holds the same bytes (an upload then needs none).
STORED_COLUMNS = (
    "stored",
    "stored_key",
    "thumb_key",
    "stored_type",
    "stored_size",
    "stored_width",
    "stored_height",
)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def quota_used(unit_id: int) -> int:
    """Bytes the branch's evidence takes: stored files at their stored size, uploads still
    to come at their declared size (a quota must hold before the bytes arrive)."""
    used = db.session.scalar(
        select(
            func.coalesce(
                func.sum(case((Evidence.stored, Evidence.stored_size), else_=Evidence.size)), 0
            )
        ).where(Evidence.unit_id == unit_id, Evidence.deleted_at.is_(None))
    )
    return int(used or 0)


def quota_problem(quota: int) -> dict[str, Any]:
    return problem("quota_exceeded", quota_mb=quota // (1024 * 1024))


def adopt_duplicate(obj: Any) -> bool:
    """Take the stored file of another live record of the branch with the same hash, if
    there is one: the same bytes are stored once and the phone sends none."""
    twin = db.session.scalars(
        select(Evidence)
        .where(
            Evidence.unit_id == obj.unit_id,
            Evidence.sha256 == obj.sha256,
            Evidence.stored.is_(True),
            Evidence.deleted_at.is_(None),
            Evidence.id != obj.id,
        )
        .limit(1)
    ).first()
    if twin is None:
        return False
    for name in STORED_COLUMNS:
        setattr(obj, name, getattr(twin, name))
    return True


class EvidenceCollection(Collection):
    name = "evidence"
    model = Evidence
    fields = FIELDS
    # The phone's clock is taken once (as an activity's recorded_at); the rest is the
    # server's.
    unmerged = ("captured_at", *SERVER_OWNED)

    def __init__(self, activities: Any = None) -> None:
        self._schema = EvidenceSchema()
        self._writable: dict[int, set[int]] = {}
        self._readable: dict[int, set[int]] = {}
        # Activities made earlier in the same batch (not yet in the database): id → unit.
        self.activities = activities
        # This request's new records (not yet in the database), by activity id, and the
        # bytes they add to each branch's quota.
        self._new: dict[uuid.UUID, list[Any]] = {}
        self._added: dict[int, int] = {}

    def load(self, record: Any, actor: Any) -> Loaded:
        try:
            values = self._schema.load(record)
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            return Loaded(errors=errors)
        existing = db.session.get(Evidence, values["id"])
        if existing is not None:
            changed = [k for k in IMMUTABLE if values[k] != getattr(existing, k)]
            if changed:
                return Loaded(errors={k: [problem("immutable")] for k in changed})
        wire = {k: str(v) if k == "activity_id" else v for k, v in values.items() if k in FIELDS}
        return Loaded(values, wire)

    def to_wire(self, obj: Any) -> dict[str, Any]:
        out = {k: getattr(obj, k) for k in FIELDS}
        out["activity_id"] = str(obj.activity_id)
        if out["caption"] is None:
            out["caption"] = ""
        return {
            **out,
            "captured_at": _iso(obj.captured_at),
            "stored": bool(obj.stored),
            "stored_size": obj.stored_size,
            "stored_width": obj.stored_width,
            "stored_height": obj.stored_height,
            "created_at": _iso(obj.created_at),
            "updated_at": _iso(obj.updated_at),
        }

    def _may_write(self, actor: User, unit_id: int | None) -> bool:
        if actor.id not in self._writable:
            self._writable[actor.id] = writable_unit_ids(actor)
        return unit_id in self._writable[actor.id]

    def readable(self, actor: User, obj: Any) -> bool:
        if actor.id not in self._readable:
            self._readable[actor.id] = set(db.session.scalars(visible_unit_ids(actor)))
        return obj.unit_id in self._readable[actor.id]

    def _activity_unit(self, actor: User, activity_id: uuid.UUID) -> int | None:
        """The branch of a live activity the actor may read; None otherwise (unknown,
        deleted or elsewhere: one answer, so a push cannot probe other branches)."""
        made = getattr(self.activities, "made_in_batch", {})
        if activity_id in made:
            return made[activity_id]
        row = db.session.execute(
            select(Activity.unit_id, Activity.deleted_at).where(Activity.id == activity_id)
        ).first()
        if row is None or row.deleted_at is not None:
            return None
        if actor.id not in self._readable:
            self._readable[actor.id] = set(db.session.scalars(visible_unit_ids(actor)))
        return row.unit_id if row.unit_id in self._readable[actor.id] else None

    def check(
        self, actor: User, existing: Any | None, values: dict[str, Any] | None, op: str
    ) -> dict[str, Any] | None:
        if existing is not None and not self._may_write(actor, existing.unit_id):
            return problem("forbidden")
        if op == "create" or op == "restore":
            unit_id = self._activity_unit(actor, values["activity_id"])
            if unit_id is None:
                return problem("activity_unknown")
            if not self._may_write(actor, unit_id):
                return problem("forbidden")
            quota = current_app.config["EVIDENCE_QUOTA_BYTES"]
            used = quota_used(unit_id) + self._added.get(unit_id, 0)
            if used + values["size"] > quota:
                return quota_problem(quota)
        return None

    def write(self, obj: Any, values: dict[str, Any], actor: User, *, created: bool) -> None:
        for name in FIELDS:
            if name in values:
                setattr(obj, name, values[name])
        now = utcnow()
        if created:
            obj.unit_id = self._activity_unit(actor, values["activity_id"])
            obj.captured_at = values.get("captured_at")
            obj.created_by_id = actor.id
            obj.created_at = now
            obj.stored = False
            if not adopt_duplicate(obj):
                self._added[obj.unit_id] = self._added.get(obj.unit_id, 0) + obj.size
            self._new.setdefault(obj.activity_id, []).append(obj)
        obj.updated_by_id = actor.id
        obj.updated_at = now

    def visible(self, scope: User | ReadScope) -> ColumnElement[bool]:
        if isinstance(scope, ReadScope):
            ids = list(scope.unit_ids)
        else:
            ids = list(db.session.scalars(visible_unit_ids(scope)))
        if len(ids) == 1:
            return Evidence.unit_id == ids[0]
        return Evidence.unit_id.in_(ids)

    def activity_deleted(self, activity_id: uuid.UUID, now: datetime) -> None:
        """The activity was deleted: its evidence goes with it, as tombstones every device
        pulls (the files become garbage: docs/OPERATIONS.md, reclaiming)."""
        for obj in self._new.pop(activity_id, []):
            obj.deleted_at = now  # made in this batch: written as a tombstone at once
        tombstone_evidence_of(activity_id, now)


def tombstone_evidence_of(activity_id: uuid.UUID, now: datetime) -> None:
    """Delete the stored live evidence of an activity through the engine's entry point for
    the server's own changes (numbered now, in the caller's transaction)."""
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.activity_id == activity_id, Evidence.deleted_at.is_(None))
        .with_for_update()
    ).all()
    if not rows:
        return
    changes = ServerChanges(db.session(), EvidenceCollection())
    for obj in rows:
        changes.delete(obj, now)
        obj.updated_at = now
    changes.number()
