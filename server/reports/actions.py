"""What staff set on the report pages: a unit's reporting schedule, its targets, its
nominations for commendation. The report pages' only writes, each recorded in the audit
log in the caller's transaction (the caller commits); everything else there reads.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Nomination, ReportingSchedule, Target, Unit, User
from ..models.types import utcnow
from .periods import Period
from .service import activities_of


class NotInReport(LookupError):
    """An activity named as evidence is not one of the unit's counted activities of the
    period, as its reader sees them (decision 36): "not found", like any other."""


def set_schedule(unit: Unit, actor: User, *, frequency: str, due_day: int) -> ReportingSchedule:
    """``unit``'s branches report every month or quarter by ``due_day`` of the next month
    (inherited down the tree unless a lower unit sets its own, decision 34)."""
    row = db.session.scalars(
        select(ReportingSchedule).where(ReportingSchedule.unit_id == unit.id)
    ).one_or_none() or ReportingSchedule(unit_id=unit.id)
    row.frequency, row.due_day = frequency, due_day
    row.set_by_id, row.set_at = actor.id, utcnow()
    db.session.add(row)
    audit.record(
        "reporting_schedule.set",
        actor=actor,
        target=("unit", unit.id),
        frequency=row.frequency,
        due_day=row.due_day,
    )
    return row


def set_target(
    unit: Unit,
    period: Period,
    actor: User,
    *,
    activities: int,
    type_id: int | None,
    each_kind: str | None,
) -> Target:
    """So many activities (of a type, or any) in ``unit``'s subtree over the period — or
    by each unit of ``each_kind`` below it (decision 35)."""
    t = Target(
        unit_id=unit.id,
        type_id=type_id,
        each_kind=each_kind,
        activities=activities,
        period_code=period.code,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        set_by_id=actor.id,
    )
    db.session.add(t)
    db.session.flush()
    audit.record(
        "target.set",
        actor=actor,
        target=("target", t.id),
        unit_id=unit.id,
        period=period.code,
        activities=t.activities,
        each_kind=t.each_kind,
        type_id=t.type_id,
    )
    return t


def nominate(
    unit: Unit,
    period: Period,
    actor: User,
    *,
    kind: str,
    name: str,
    reason: str,
    evidence: set[uuid.UUID],
) -> Nomination:
    """A member or a model put forward by ``unit`` for the period, backed by activities
    that must be counted activities of ``unit``'s subtree in the period, in the actor's
    scope (:class:`NotInReport` otherwise)."""
    # Checked on the primary, not the reports' reader: a lagging replica must not let a
    # deleted activity, or one the tree has since moved out of scope, back a nomination.
    backing = (
        activities_of(unit, period, ids=list(evidence), within=actor.unit_id, session=db.session())
        if evidence
        else []
    )
    if len(backing) != len(evidence):
        raise NotInReport
    n = Nomination(
        unit_id=unit.id,
        kind=kind,
        name=name.strip(),
        reason=reason.strip(),
        period_code=period.code,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        created_by_id=actor.id,
        activities=backing,
    )
    db.session.add(n)
    db.session.flush()
    audit.record(
        "nomination.create",
        actor=actor,
        target=("nomination", n.id),
        unit_id=unit.id,
        period=period.code,
        activities=len(backing),
    )
    return n
