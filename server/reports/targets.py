"""Progress against targets, from the per-day totals (see :mod:`server.reports.totals`).

A target set on a unit shows on the units below it too, but a page never counts beyond the
unit in view (decision 35): a total target set above shows *this unit's contribution* to
it — the province-wide count would hold other districts' activities, which the reader may
not see — and an "each unit" target counts the units of its kind in this unit's subtree,
each over the days it was in that subtree. Every count is further limited to the reader's
scope (``within``), like every other figure (decision 44).

Whatever the number of targets, progress is five queries: the targets, their units, the
types, the units concerned by "each unit" targets, and one grouped count per kind of target.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..models import ActivityType, Target, Unit, UnitClosure, report_totals
from ..units.service import ancestor_ids
from .periods import Period
from .service import held_under, limited
from .source import reader


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
    #: The unit in view, whose subtree ``done`` counts.
    unit: Unit | None = None

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.goal)) if self.goal else 0

    @property
    def met(self) -> bool:
        return self.goal > 0 and self.done >= self.goal

    @property
    def is_share(self) -> bool:
        """A total target set above the unit in view: ``done`` is this unit's part of
        the whole's goal, not the whole's progress."""
        return (
            self.target.each_kind is None
            and self.unit is not None
            and self.set_at_unit.id != self.unit.id
        )


def _counts(
    targets: list[Target], unit_ids: list[int], under: int | None, within: int | None
) -> dict[tuple[int, int], int]:
    """Activities per (target, unit) over each target's dates and type, in one query.
    With ``under``, a unit's days count only while it was in ``under``'s subtree; with
    ``within``, only while it was in the reader's."""
    if not targets or not unit_ids:
        return {}
    t = report_totals
    query = (
        select(Target.id, t.c.unit_id, func.sum(t.c.activities))
        .select_from(t)
        .join(
            Target,
            and_(
                t.c.day >= Target.starts_on,
                t.c.day <= Target.ends_on,
                or_(Target.type_id.is_(None), Target.type_id == t.c.type_id),
            ),
        )
        .where(Target.id.in_([x.id for x in targets]), t.c.unit_id.in_(unit_ids))
    )
    if under is not None:
        c = aliased(UnitClosure)
        query = query.join(c, held_under(c, under, t.c.unit_id, t.c.day))
    query = limited(query, t.c.unit_id, t.c.day, within, skip=under)
    rows = reader().execute(query.group_by(Target.id, t.c.unit_id))
    return {(tid, uid): int(n or 0) for tid, uid, n in rows}


def progress_for(unit: Unit, period: Period, within: int | None = None) -> list[Progress]:
    """Targets set on ``unit`` or above it for periods overlapping ``period``, with their
    progress counted over ``unit``'s subtree only, limited to ``within``'s (the reader's
    home unit) — see the module's docstring."""
    chain = list(reader().scalars(ancestor_ids(unit.id)))
    targets = (
        reader()
        .scalars(
            select(Target)
            .where(
                Target.unit_id.in_(chain),
                Target.starts_on <= period.ends_on,
                Target.ends_on >= period.starts_on,
            )
            .order_by(Target.starts_on, Target.id)
        )
        .all()
    )
    if not targets:
        return []
    units = {u.id: u for u in reader().scalars(select(Unit).where(Unit.id.in_(chain)))}
    types = {t.id: t for t in reader().scalars(select(ActivityType))}
    totals = [x for x in targets if x.each_kind is None]
    each = [x for x in targets if x.each_kind is not None]

    # The units of each "each unit" target: of its kind, in the subtree (and the
    # reader's) as it stood at the target's end, open during it.
    concerned: dict[int, list[Unit]] = defaultdict(list)
    if each:
        c = aliased(UnitClosure)
        query = (
            select(Target.id, Unit)
            .select_from(Target)
            .join(Unit, Unit.kind == Target.each_kind)
            .join(c, held_under(c, unit.id, Unit.id, Target.ends_on))
            .where(
                Target.id.in_([x.id for x in each]),
                Unit.opened_on <= Target.ends_on,
                or_(Unit.closed_on.is_(None), Unit.closed_on > Target.starts_on),
            )
            .order_by(Target.id, Unit.name_fold)
        )
        query = limited(query, Unit.id, Target.ends_on, within, skip=unit.id)
        for tid, u in reader().execute(query):
            concerned[tid].append(u)

    done = _counts(totals, [unit.id], None, within if within != unit.id else None)
    ids = sorted({u.id for us in concerned.values() for u in us})
    by_unit = _counts(each, ids, unit.id, within)

    out = []
    for target in targets:
        kind_type = types.get(target.type_id) if target.type_id else None
        set_at = units[target.unit_id]
        if target.each_kind is None:
            n = done.get((target.id, unit.id), 0)
            out.append(Progress(target, kind_type, set_at, n, target.activities, [], unit))
            continue
        rows = sorted(
            ((u, by_unit.get((target.id, u.id), 0)) for u in concerned[target.id]),
            key=lambda r: r[1],
        )
        met = sum(1 for _, n in rows if n >= target.activities)
        out.append(Progress(target, kind_type, set_at, met, len(rows), rows, unit))
    return out
