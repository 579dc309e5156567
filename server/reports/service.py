"""Consolidated figures for a unit and a period, over its whole subtree.

An activity counts for a unit when, *on the activity's own date*, its branch was in that
unit's subtree (the dated closure table): a 2016 figure adds up the way the tree was in
2016, and a branch that moved mid-year counts for its old parent before the move and for
the new one after. Counted are activities the branch sent up (submitted or verified, not
drafts or returned ones), not deleted. Every figure is a handful of grouped queries,
never a query per unit or per activity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Pillar,
    Unit,
    UnitClosure,
)
from .periods import Period

COUNTED = (ActivityStatus.SUBMITTED.value, ActivityStatus.VERIFIED.value)


@dataclass
class Figures:
    activities: int = 0
    members: int = 0
    citizens: int = 0
    hours: Decimal = Decimal(0)
    verified: int = 0

    @classmethod
    def of(cls, row: Any) -> Figures:
        return cls(
            int(row.activities or 0),
            int(row.members or 0),
            int(row.citizens or 0),
            Decimal(str(row.hours or 0)).quantize(Decimal("0.1")),
            int(row.verified or 0),
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.activities + other.activities,
            self.members + other.members,
            self.citizens + other.citizens,
            self.hours + other.hours,
            self.verified + other.verified,
        )


@dataclass
class ChildRow:
    unit: Unit
    figures: Figures
    #: Whether the unit has units below it (a branch drills down to its activities).
    has_children: bool


@dataclass
class TypeRow:
    type: ActivityType
    figures: Figures
    #: The type's own quantities summed, by code, in the type's order.
    quantities: list[tuple[dict, Decimal]]


@dataclass
class Overview:
    unit: Unit
    period: Period
    total: Figures
    previous: Figures
    children: list[ChildRow]
    by_pillar: list[tuple[Pillar, Figures]]
    by_type: list[TypeRow]
    trend: list[tuple[str, Figures]] = field(default_factory=list)


def _aggregates() -> list[Any]:
    return [
        func.count(Activity.id).label("activities"),
        func.sum(Activity.members_count).label("members"),
        func.sum(Activity.citizens_served).label("citizens"),
        func.sum(Activity.volunteer_hours).label("hours"),
        func.sum(case((Activity.status == ActivityStatus.VERIFIED.value, 1), else_=0)).label(
            "verified"
        ),
    ]


def _held_on_activity_date(c: Any) -> Any:
    return and_(
        c.descendant_id == Activity.unit_id,
        c.valid_from <= Activity.starts_on,
        or_(c.valid_to.is_(None), c.valid_to > Activity.starts_on),
    )


def rolled_up(
    ancestor_ids: list[int], period: Period, *columns: Any, within: int | None = None
) -> Select:
    """``columns`` over the counted activities of ``period`` that were, on their own date,
    in the subtree of one of ``ancestor_ids`` (whose id is ``UnitClosure.ancestor_id``)
    and, with ``within``, also in that unit's subtree on that date (a child's row counts
    only what it did while it was a child)."""
    c = UnitClosure
    query = select(*columns).select_from(Activity).join(c, _held_on_activity_date(c))
    if within is not None:
        parent = aliased(UnitClosure)
        query = query.join(
            parent, and_(_held_on_activity_date(parent), parent.ancestor_id == within)
        )
    return query.where(
        c.ancestor_id.in_(ancestor_ids),
        Activity.starts_on >= period.starts_on,
        Activity.starts_on <= period.ends_on,
        Activity.deleted_at.is_(None),
        Activity.status.in_(COUNTED),
    )


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _month_of(column: Any) -> Any:
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _quantity_pairs() -> Any:
    """The activity's quantities as (key, value) rows."""
    if _dialect() == "postgresql":
        return func.jsonb_each_text(Activity.quantities).table_valued("key", "value")
    return func.json_each(Activity.quantities).table_valued("key", "value")


def children_of(unit: Unit, period: Period) -> list[Unit]:
    """Units directly below ``unit`` at any time during the period, by name."""
    c = UnitClosure
    return list(
        db.session.scalars(
            select(Unit)
            .join(c, c.descendant_id == Unit.id)
            .where(
                c.ancestor_id == unit.id,
                c.distance == 1,
                c.valid_from <= period.ends_on,
                or_(c.valid_to.is_(None), c.valid_to > period.starts_on),
            )
            .distinct()
            .order_by(Unit.name_fold)
        )
    )


def totals(unit_id: int, period: Period) -> Figures:
    row = db.session.execute(rolled_up([unit_id], period, *_aggregates())).one()
    return Figures.of(row)


def overview(unit: Unit, period: Period, trend_period: Period | None = None) -> Overview:
    """Everything the overview page and its exports show, in six queries."""
    children = children_of(unit, period)
    by_child: dict[int, Figures] = {}
    if children:
        rows = db.session.execute(
            rolled_up(
                [u.id for u in children],
                period,
                UnitClosure.ancestor_id,
                *_aggregates(),
                within=unit.id,
            ).group_by(UnitClosure.ancestor_id)
        )
        by_child = {r.ancestor_id: Figures.of(r) for r in rows}
    below = set(
        db.session.scalars(
            select(UnitClosure.ancestor_id).where(
                UnitClosure.ancestor_id.in_([u.id for u in children]),
                UnitClosure.distance == 1,
            )
        )
    )

    types = {
        t.id: t
        for t in db.session.scalars(
            select(ActivityType).options(joinedload(ActivityType.pillar))
        ).unique()
    }
    by_type_rows = db.session.execute(
        rolled_up([unit.id], period, Activity.type_id, *_aggregates()).group_by(Activity.type_id)
    ).all()
    pairs = _quantity_pairs()
    quantity_rows = db.session.execute(
        rolled_up(
            [unit.id],
            period,
            Activity.type_id,
            pairs.c.key,
            func.sum(cast(pairs.c.value, Numeric(20, 1))).label("amount"),
        )
        .join(pairs, true())
        .group_by(Activity.type_id, pairs.c.key)
    ).all()
    amounts: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for r in quantity_rows:
        amounts[r.type_id][r.key] = Decimal(str(r.amount or 0))

    total = Figures()
    type_rows: list[TypeRow] = []
    pillar_figures: dict[int, Figures] = defaultdict(Figures)
    for r in by_type_rows:
        t, figures = types[r.type_id], Figures.of(r)
        total = total + figures
        pillar_figures[t.pillar_id] = pillar_figures[t.pillar_id] + figures
        quantities = [
            (spec, _shown(spec, amounts[t.id].get(spec["code"], Decimal(0))))
            for spec in t.quantities
        ]
        type_rows.append(TypeRow(t, figures, quantities))
    type_rows.sort(key=lambda row: (row.type.pillar.sort_order, row.type.sort_order))
    pillars = db.session.scalars(select(Pillar).order_by(Pillar.sort_order)).all()

    trend_period = trend_period or period
    month = _month_of(Activity.starts_on).label("month")
    trend_rows = {
        r.month: Figures.of(r)
        for r in db.session.execute(
            rolled_up([unit.id], trend_period, month, *_aggregates()).group_by(month)
        )
    }
    return Overview(
        unit=unit,
        period=period,
        total=total,
        previous=totals(unit.id, period.previous()),
        children=[ChildRow(u, by_child.get(u.id, Figures()), u.id in below) for u in children],
        by_pillar=[(p, pillar_figures.get(p.id, Figures())) for p in pillars],
        by_type=type_rows,
        trend=[(m, trend_rows.get(m, Figures())) for m in trend_period.months()],
    )


def _shown(spec: dict, amount: Decimal) -> Decimal:
    if spec.get("kind") == "decimal":
        return amount.quantize(Decimal("0.1"))
    return amount.quantize(Decimal(1))


def activities_of(unit: Unit, period: Period) -> list[Activity]:
    """The counted activities of a unit's subtree in the period (a branch's drill-down)."""
    return list(
        db.session.scalars(
            rolled_up([unit.id], period, Activity)
            .options(joinedload(Activity.unit), joinedload(Activity.type))
            .order_by(Activity.starts_on, Activity.title)
        )
    )
