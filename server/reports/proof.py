"""Which counted activities have no evidence photo: a figure of the overview and a mark
of a branch's activity list (issue 14 §4; decisions 188-189).

An activity *has evidence* when at least one of its photos is stored on the server —
uploaded whole, its hash checked, re-encoded — and not deleted. A photo the phone has
declared but not finished uploading (``stored`` false) is a promise, not evidence: a
unit is graded on what a reviewer can open. The count is read live from the activities
and their photos, not kept in the per-day totals: whether an activity has a photo changes
with every upload and delete, on a table the totals worker does not follow (decision
188). One grouped query when the units below stayed below all period, else one for them
and one for the unit itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from ..models import Activity, Evidence, UnitClosure
from .service import Overview, held_on_activity_date, held_under, limited, rolled_up
from .source import reader


def has_evidence() -> ColumnElement[bool]:
    """The rule as a filter on :class:`Activity`: one stored photo, not deleted."""
    return exists().where(
        Evidence.activity_id == Activity.id,
        Evidence.stored.is_(True),
        Evidence.deleted_at.is_(None),
    )


def fill(ov: Overview, within: int | None = None) -> Overview:
    """Set ``unproven`` on the overview's total and on each unit below: its counted
    activities of the period without evidence, in ``within``'s scope, counted the way the
    overview's other figures are (the tree as it was on each activity's date)."""
    if ov.children and ov.whole:
        return _in_one(ov, within)
    unit, period = ov.unit, ov.period
    c = UnitClosure
    count = func.count(Activity.id).label("n")
    own = limited(
        rolled_up([unit.id], period, count).where(~has_evidence()),
        Activity.unit_id,
        Activity.starts_on,
        within,
        skip=unit.id,
    )
    ov.total.unproven = int(reader().execute(own).scalar_one() or 0)
    if not ov.children:
        return ov
    query = rolled_up([r.unit.id for r in ov.children], period, c.ancestor_id, count).where(
        ~has_evidence()
    )
    # A child counts only what it did while it was a child (as its other figures do).
    parent = aliased(UnitClosure)
    query = query.join(
        parent,
        and_(held_under(parent, unit.id, c.ancestor_id, Activity.starts_on), parent.distance == 1),
    )
    query = limited(query, Activity.unit_id, Activity.starts_on, within, skip=unit.id)
    counts = {r.ancestor_id: int(r.n) for r in reader().execute(query.group_by(c.ancestor_id))}
    for row in ov.children:
        row.figures.unproven = counts.get(row.unit.id, 0)
    return ov


def _in_one(ov: Overview, within: int | None) -> Overview:
    """:func:`fill` in one scan when the units below stayed below all period: then an
    activity of the subtree was, on its date, under exactly one of them or under none
    (the unit's own), so grouping by that one gives the children and adds up to the
    total (the page's most expensive statement, done once instead of twice)."""
    child = aliased(UnitClosure)
    query = (
        rolled_up([ov.unit.id], ov.period, child.ancestor_id, func.count(Activity.id).label("n"))
        .outerjoin(
            child,
            and_(
                held_on_activity_date(child),
                child.ancestor_id.in_([r.unit.id for r in ov.children]),
            ),
        )
        .where(~has_evidence())
    )
    query = limited(query, Activity.unit_id, Activity.starts_on, within, skip=ov.unit.id)
    counts = {r.ancestor_id: int(r.n) for r in reader().execute(query.group_by(child.ancestor_id))}
    ov.total.unproven = sum(counts.values())
    for row in ov.children:
        row.figures.unproven = counts.get(row.unit.id, 0)
    return ov


def photo_counts(activity_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Stored, undeleted photos of each of ``activity_ids`` that has any (a branch's list)."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = reader().execute(
        select(Evidence.activity_id, func.count(Evidence.id).label("n"))
        .where(
            Evidence.activity_id.in_(ids),
            Evidence.stored.is_(True),
            Evidence.deleted_at.is_(None),
        )
        .group_by(Evidence.activity_id)
    )
    return {r.activity_id: int(r.n) for r in rows}
