"""Consolidated figures for a unit and a period, over its whole subtree.

An activity counts for a unit when, *on the activity's own date*, its branch was in that
unit's subtree (the dated closure table): a 2016 figure adds up the way the tree was in
2016, and a branch that moved mid-year counts for its old parent before the move and for
the new one after. Counted are activities the branch sent up (submitted or verified, not
drafts or returned ones), not deleted. Every figure is a handful of grouped queries over
the per-day totals of :mod:`server.reports.totals`, never a query per unit or activity.

Every figure is also limited to the reader's scope (``within``, the reader's home unit):
only what was in that unit's subtree *on the activity's date* counts. A branch that moved
from district B to district A mid-year shows A's staff what it did under A, on its own
page as in A's table, never what it did under B (decision 44).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ..activities.counted import counted
from ..models import (
    Activity,
    ActivityType,
    Nomination,
    Pillar,
    Unit,
    UnitClosure,
    report_quantities,
    report_totals,
)
from ..units.service import subtree_ids
from .periods import Period
from .source import reader


@dataclass
class Figures:
    activities: int = 0
    members: int = 0
    citizens: int = 0
    hours: Decimal = Decimal(0)
    verified: int = 0
    #: Counted activities without evidence (decision 188), from the per-day totals'
    #: ``proven`` count (decision 191).
    unproven: int = 0

    @classmethod
    def of(cls, row: Any) -> Figures:
        activities = int(row.activities or 0)
        return cls(
            activities,
            int(row.members or 0),
            int(row.citizens or 0),
            Decimal(str(row.hours or 0)).quantize(Decimal("0.1")),
            int(row.verified or 0),
            activities - int(row.proven or 0),
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.activities + other.activities,
            self.members + other.members,
            self.citizens + other.citizens,
            self.hours + other.hours,
            self.verified + other.verified,
            self.unproven + other.unproven,
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
    #: Every unit below was below it for the whole period (the usual case).
    whole: bool = True


def held_on_activity_date(c: Any) -> Any:
    """A join condition: the closure row ``c`` held on the activity's own date."""
    return and_(
        c.descendant_id == Activity.unit_id,
        c.valid_from <= Activity.starts_on,
        or_(c.valid_to.is_(None), c.valid_to > Activity.starts_on),
    )


def held_under(c: Any, ancestor_id: int, unit_id: Any, day: Any) -> Any:
    """A join condition: the closure row ``c`` puts ``unit_id`` under ``ancestor_id`` on
    ``day`` (columns or values)."""
    return and_(
        c.ancestor_id == ancestor_id,
        c.descendant_id == unit_id,
        c.valid_from <= day,
        or_(c.valid_to.is_(None), c.valid_to > day),
    )


def limited(
    query: Select, unit_id: Any, day: Any, within: int | None, *, skip: Any = None
) -> Select:
    """``query`` keeping only rows whose unit (``unit_id``) was in ``within``'s subtree on
    ``day``: the reader's scope, applied to every figure. Nothing is added when there is no
    limit or when ``within`` is ``skip`` (the unit in view itself: its subtree is inside)."""
    if within is None or within == skip:
        return query
    c = aliased(UnitClosure)
    return query.join(c, held_under(c, within, unit_id, day))


def rolled_up(ancestor_ids: list[int], period: Period, *columns: Any) -> Select:
    """``columns`` over the counted activities of ``period`` that were, on their own date,
    in the subtree of one of ``ancestor_ids`` (whose id is ``UnitClosure.ancestor_id``)."""
    c = UnitClosure
    return (
        select(*columns)
        .select_from(Activity)
        .join(c, held_on_activity_date(c))
        .where(
            c.ancestor_id.in_(ancestor_ids),
            Activity.starts_on >= period.starts_on,
            Activity.starts_on <= period.ends_on,
            counted(),
        )
    )


def _dialect() -> str:
    return reader().get_bind().dialect.name


def _month_of(column: Any) -> Any:
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


T = report_totals
Q = report_quantities


def _sums() -> list[Any]:
    return [
        func.sum(T.c.activities).label("activities"),
        func.sum(T.c.members).label("members"),
        func.sum(T.c.citizens).label("citizens"),
        func.sum(T.c.hours).label("hours"),
        func.sum(T.c.verified).label("verified"),
        func.sum(T.c.proven).label("proven"),
    ]


def _of(table: Any, unit_id: int, period: Period) -> list[Any]:
    return [
        table.c.unit_id == unit_id,
        table.c.day >= period.starts_on,
        table.c.day <= period.ends_on,
    ]


def children_of(unit: Unit, period: Period) -> tuple[list[Unit], bool]:
    """Units directly below ``unit`` at any time during the period, by name, and whether
    every one of them was below it for the whole period (the usual case)."""
    c = UnitClosure
    rows = (
        reader()
        .execute(
            select(Unit, c.valid_from, c.valid_to)
            .join(c, c.descendant_id == Unit.id)
            .where(
                c.ancestor_id == unit.id,
                c.distance == 1,
                c.valid_from <= period.ends_on,
                or_(c.valid_to.is_(None), c.valid_to > period.starts_on),
            )
            .order_by(Unit.name_fold, c.valid_from)
        )
        .all()
    )
    units = list({r.Unit.id: r.Unit for r in rows}.values())
    whole = len(rows) == len(units) and all(
        r.valid_from <= period.starts_on and (r.valid_to is None or r.valid_to > period.ends_on)
        for r in rows
    )
    return units, whole


def totals(unit_id: int, period: Period, within: int | None = None) -> Figures:
    """``unit_id``'s figures for the period, limited to ``within``'s subtree."""
    query = limited(
        select(*_sums()).where(*_of(T, unit_id, period)),
        T.c.unit_id,
        T.c.day,
        within,
        skip=unit_id,
    )
    return Figures.of(reader().execute(query).one())


def overview(
    unit: Unit,
    period: Period,
    trend_period: Period | None = None,
    within: int | None = None,
) -> Overview:
    """Everything the overview page and its exports show, from the per-day totals as the
    totals worker last left them (:mod:`server.reports.totals`), limited to what was in
    ``within``'s subtree (the reader's home unit) on each day."""

    def scoped(query: Select, table: Any = T) -> Select:
        return limited(query, table.c.unit_id, table.c.day, within, skip=unit.id)

    children, whole = children_of(unit, period)
    by_child: dict[int, Figures] = {}
    if children:
        query = select(T.c.unit_id, *_sums()).where(
            T.c.unit_id.in_([u.id for u in children]),
            T.c.day >= period.starts_on,
            T.c.day <= period.ends_on,
        )
        if not whole:
            # A child's row counts only the days it was a child.
            c = UnitClosure
            query = query.join(
                c,
                and_(held_under(c, unit.id, T.c.unit_id, T.c.day), c.distance == 1),
            )
        rows = reader().execute(scoped(query).group_by(T.c.unit_id))
        by_child = {r.unit_id: Figures.of(r) for r in rows}
    below = set(
        reader().scalars(
            select(UnitClosure.ancestor_id).where(
                UnitClosure.ancestor_id.in_([u.id for u in children]),
                UnitClosure.distance == 1,
            )
        )
    )

    types = {
        t.id: t
        for t in reader()
        .scalars(select(ActivityType).options(joinedload(ActivityType.pillar)))
        .unique()
    }
    by_type_rows = (
        reader()
        .execute(
            scoped(select(T.c.type_id, *_sums()).where(*_of(T, unit.id, period))).group_by(
                T.c.type_id
            )
        )
        .all()
    )
    amounts: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for r in reader().execute(
        scoped(
            select(Q.c.type_id, Q.c.code, func.sum(Q.c.amount).label("amount")).where(
                *_of(Q, unit.id, period)
            ),
            Q,
        ).group_by(Q.c.type_id, Q.c.code)
    ):
        amounts[r.type_id][r.code] = Decimal(str(r.amount or 0))

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
    pillars = reader().scalars(select(Pillar).order_by(Pillar.sort_order)).all()

    trend_period = trend_period or period
    month = _month_of(T.c.day).label("month")
    trend_rows = {
        r.month: Figures.of(r)
        for r in reader().execute(
            scoped(select(month, *_sums()).where(*_of(T, unit.id, trend_period))).group_by(month)
        )
    }
    return Overview(
        unit=unit,
        period=period,
        total=total,
        previous=totals(unit.id, period.previous(), within),
        children=[ChildRow(u, by_child.get(u.id, Figures()), u.id in below) for u in children],
        by_pillar=[(p, pillar_figures.get(p.id, Figures())) for p in pillars],
        by_type=type_rows,
        trend=[(m, trend_rows.get(m, Figures())) for m in trend_period.months()],
        whole=whole,
    )


def _shown(spec: dict, amount: Decimal) -> Decimal:
    if spec.get("kind") == "decimal":
        return amount.quantize(Decimal("0.1"))
    return amount.quantize(Decimal(1))


def activities_of(
    unit: Unit,
    period: Period,
    *,
    latest: int | None = None,
    ids: list[uuid.UUID] | None = None,
    within: int | None = None,
    session: Session | None = None,
) -> list[Activity]:
    """The counted activities of a unit's subtree in the period (a branch's drill-down),
    oldest first, that were in ``within``'s subtree on their date; only the ``latest``
    ones, or only those among ``ids``, when asked. Read from the reports' reader unless
    ``session`` is given: a check that grants a write reads the primary (decision 130)."""
    source = session if session is not None else reader()
    query = limited(
        rolled_up([unit.id], period, Activity),
        Activity.unit_id,
        Activity.starts_on,
        within,
        skip=unit.id,
    ).options(joinedload(Activity.unit), joinedload(Activity.type))
    if ids is not None:
        query = query.where(Activity.id.in_(ids))
    if latest is not None:
        newest = query.order_by(Activity.starts_on.desc(), Activity.title.desc()).limit(latest)
        return list(reversed(source.scalars(newest).unique().all()))
    return list(source.scalars(query.order_by(Activity.starts_on, Activity.title)).unique())


def nominations_of(unit: Unit, period: Period) -> list[Nomination]:
    """Nominations made by units of ``unit``'s subtree for periods overlapping ``period``."""
    return list(
        reader()
        .scalars(
            select(Nomination)
            .options(selectinload(Nomination.activities), joinedload(Nomination.unit))
            .where(
                Nomination.unit_id.in_(subtree_ids(unit.id)),
                Nomination.starts_on <= period.ends_on,
                Nomination.ends_on >= period.starts_on,
            )
            .order_by(Nomination.created_at)
        )
        .unique()
    )
