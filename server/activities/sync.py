"""Activities as a synced collection: the app's side of the engine's contract."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from schemas.activity import CLIENT_STATUSES, FIELDS, MAX_DAYS_AHEAD, SERVER_OWNED, ActivitySchema
from schemas.catalogue import TypeSpec
from schemas.errors import problem
from sync.collection import Collection, Loaded

from ..evidence.collection import tombstone_evidence_of
from ..extensions import db
from ..models import Activity, ActivityStatus, ActivityType, Unit, User
from ..models.types import utcnow
from ..policy import ReadScope, visible_unit_ids, writable_unit_ids
from .inserts import insert_activities
from .submission import stamp_submission
from .wire import record_fields, remember_type_codes, wire_value

#: A phone clock before the movement's phase, or ahead of the server, is implausible.
PLAUSIBLE_FROM = datetime(2015, 1, 1, tzinfo=UTC)
CLOCK_TOLERANCE = timedelta(days=1)


class ActivityCollection(Collection):
    name = "activities"
    model = Activity
    fields = FIELDS
    wire_column = "wire"
    # The phone's clock is taken once, when the record is created (decision 45).
    unmerged = ("recorded_at", *SERVER_OWNED)

    def __init__(self) -> None:
        self._writable: dict[int, set[int]] = {}
        self._readable: dict[int, set[int]] = {}
        self._closed_on: dict[int, date | None] = {}
        self._types: dict[str, TypeSpec] | None = None
        self._schema: ActivitySchema | None = None
        self._id_by_code: dict[str, int] = {}
        self._code_by_id: dict[int, str] = {}
        # Activities this request created, by id → branch (evidence of the same batch
        # names them before they reach the database).
        self.made_in_batch: dict[Any, int] = {}
        # The request's evidence collection, told of deletes (its records go too).
        self.evidence: Any = None

    # The catalogue is read once per request (collections are made per request).
    def _catalogue(self) -> dict[str, TypeSpec]:
        if self._types is None:
            rows = db.session.scalars(select(ActivityType)).all()
            self._types = {t.code: TypeSpec(t.code, t.active, tuple(t.quantities)) for t in rows}
            self._id_by_code = {t.code: t.id for t in rows}
            self._code_by_id = {t.id: t.code for t in rows}
            remember_type_codes(db.session(), self._code_by_id)
        return self._types

    def load(self, record: Any, actor: Any) -> Loaded:
        if self._schema is None:
            self._schema = ActivitySchema(types=self._catalogue())
        try:
            values = self._schema.load(record)
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            return Loaded(errors=errors)
        return Loaded(values, {f: wire_value(f, values[f]) for f in FIELDS})

    def to_wire(self, obj: Activity) -> dict[str, Any]:
        self._catalogue()
        return record_fields(obj, self._code_by_id.get(obj.type_id))

    def differs(self, sent: dict[str, Any], stored: dict[str, Any]) -> bool:
        # The phone's clock too, as an instant: "09:30+07:00" is "02:30+00:00" (the
        # server sends UTC, whole seconds), so only another instant makes a difference.
        if super().differs(sent, stored) or "recorded_at" not in sent:
            return True
        return _instant(sent["recorded_at"]) != _instant(stored["recorded_at"])

    def _may_write(self, actor: User, unit_id: int) -> bool:
        # A batch checks the same actor hundreds of times: ask the policy once per request.
        if actor.id not in self._writable:
            self._writable[actor.id] = writable_unit_ids(actor)
        return unit_id in self._writable[actor.id]

    def readable(self, actor: User, obj: Activity) -> bool:
        # The branch or subtree the actor reads, as GET /conflicts and pulls: asked once.
        if actor.id not in self._readable:
            self._readable[actor.id] = set(db.session.scalars(visible_unit_ids(actor)))
        return obj.unit_id in self._readable[actor.id]

    def _unit_closed_on(self, unit_id: int) -> date | None:
        if unit_id not in self._closed_on:
            unit = db.session.get(Unit, unit_id)
            self._closed_on[unit_id] = unit.closed_on if unit is not None else None
        return self._closed_on[unit_id]

    def check(
        self, actor: User, existing: Activity | None, values: dict[str, Any] | None, op: str
    ) -> dict[str, Any] | None:
        if existing is not None and not self._may_write(actor, existing.unit_id):
            return problem("forbidden")
        if values is not None and not self._may_write(actor, values["unit_id"]):
            return problem("forbidden")
        if existing is not None and existing.status == ActivityStatus.VERIFIED:
            return problem("record_verified")
        if values is not None:
            status = values["status"]
            if status not in CLIENT_STATUSES and (existing is None or existing.status != status):
                return problem("status_not_allowed")
            closed_on = self._unit_closed_on(values["unit_id"])
            if closed_on is not None and values["starts_on"] >= closed_on:
                return problem("unit_closed")
            if values["starts_on"] > date.today() + timedelta(days=MAX_DAYS_AHEAD):
                return problem("date_in_future", days=MAX_DAYS_AHEAD)
        return None

    def write(self, obj: Activity, values: dict[str, Any], actor: User, *, created: bool) -> None:
        for name in FIELDS:
            if name not in values:
                continue
            if name == "type":
                self._catalogue()
                obj.type_id = self._id_by_code[values[name]]
            else:
                setattr(obj, name, values[name])
        now = utcnow()
        if not values and obj.deleted_at is not None:
            # A delete (by a device, or staff resolving a conflict): its photos go too.
            if self.evidence is not None:
                self.evidence.activity_deleted(obj.id, obj.deleted_at)
            else:
                tombstone_evidence_of(obj.id, obj.deleted_at)
        if created:
            self.made_in_batch[obj.id] = obj.unit_id
            obj.created_by_id = actor.id
            obj.created_at = now
            recorded = values.get("recorded_at")
            obj.recorded_at = recorded
            obj.recorded_at_suspect = recorded is not None and not (
                PLAUSIBLE_FROM <= recorded <= now + CLOCK_TOLERANCE
            )
        obj.updated_by_id = actor.id
        obj.updated_at = now
        # The phone's clock of the submission is known only when the entry arrives
        # created as submitted (its recorded_at); a later edit that submits a draft does
        # not carry the time it was typed (decision 45).
        typed = obj.recorded_at if created and not obj.recorded_at_suspect else None
        stamp_submission(obj, now, typed)

    def visible(self, scope: User | ReadScope) -> ColumnElement[bool]:
        # The ids themselves, not a subquery: a member's branch is then one unit to the
        # planner, which walks the (unit_id, change_seq) index in order instead of sorting
        # the whole branch for every page (63 ms a page at 20,000 records on PostgreSQL).
        # A ReadScope brings them already read (a pull needs them three times).
        if isinstance(scope, ReadScope):
            ids = list(scope.unit_ids)
        else:
            ids = list(db.session.scalars(visible_unit_ids(scope)))
        if len(ids) == 1:
            return Activity.unit_id == ids[0]
        return Activity.unit_id.in_(ids)

    def insert_new(self, session: Session, records: list[Any]) -> None:
        # One INSERT for the batch's new activities, with what the ORM's hooks would do.
        self._catalogue()
        insert_activities(session, records, self._code_by_id)


def _instant(value: Any) -> datetime | str | None:
    """A timestamp as an instant when it reads as one with a zone; otherwise the value,
    which then compares equal only to itself."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else value
