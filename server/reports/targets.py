"""Progress against targets, from the per-day totals (see :mod:`server.reports.totals`).

A target set on a unit applies to the units below it too: on a lower unit's page it shows
the whole's progress (a total target) or how many of the units of its kind *in that lower
unit's subtree* have met it (an "each unit" target) — rolled up the tree either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import ActivityType, Target, Unit, UnitClosure, report_totals
from ..units.service import ancestor_ids
from .periods import Period


@dataclass
class Progress:
    target: Target
    type: ActivityType | None
    set_at_unit: Unit
    #: Total target: activities so far. "Each unit" target: units that met it.
    done: int
    #: Total target: the activities asked. "Each unit" target: the units concerned.
    goal: int
    #: For "each unit" targets: (unit, activities) of each unit concerned, worst first.
    units: list[tuple[Unit, int]]

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.goal)) if self.goal else 0

    @property
    def met(self) -> bool:
        return self.goal > 0 and self.done >= self.goal


def _count(unit_ids: list[int], target: Target) -> dict[int, int]:
    t = report_totals
    query = (
        select(t.c.unit_id, func.sum(t.c.activities))
        .where(
            t.c.unit_id.in_(unit_ids),
            t.c.day >= target.starts_on,
            t.c.day <= target.ends_on,
        )
        .group_by(t.c.unit_id)
    )
    if target.type_id is not None:
        query = query.where(t.c.type_id == target.type_id)
    return {uid: int(n or 0) for uid, n in db.session.execute(query)}


def progress_for(unit: Unit, period: Period) -> list[Progress]:
    """Targets set on ``unit`` or above it for periods overlapping ``period``."""
    chain = list(db.session.scalars(ancestor_ids(unit.id)))
    targets = db.session.scalars(
        select(Target)
        .where(
            Target.unit_id.in_(chain),
            Target.starts_on <= period.ends_on,
            Target.ends_on >= period.starts_on,
        )
        .order_by(Target.starts_on, Target.id)
    ).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(chain)))}
    types = {t.id: t for t in db.session.scalars(select(ActivityType))}
    out = []
    for target in targets:
        kind_type = types.get(target.type_id) if target.type_id else None
        if target.each_kind is None:
            # The whole the target was set for (the unit above, when set above).
            done = _count([target.unit_id], target).get(target.unit_id, 0)
            out.append(
                Progress(target, kind_type, units[target.unit_id], done, target.activities, [])
            )
            continue
        c = UnitClosure
        concerned = db.session.scalars(
            select(Unit)
            .join(c, c.descendant_id == Unit.id)
            .where(
                c.ancestor_id == unit.id,
                c.valid_from <= target.ends_on,
                or_(c.valid_to.is_(None), c.valid_to > target.ends_on),
                Unit.kind == target.each_kind,
                Unit.opened_on <= target.ends_on,
                or_(Unit.closed_on.is_(None), Unit.closed_on > target.starts_on),
            )
            .order_by(Unit.name_fold)
        ).all()
        counts = _count([u.id for u in concerned], target) if concerned else {}
        rows = sorted(((u, counts.get(u.id, 0)) for u in concerned), key=lambda r: r[1])
        met = sum(1 for _, n in rows if n >= target.activities)
        out.append(Progress(target, kind_type, units[target.unit_id], met, len(rows), rows))
    return out
