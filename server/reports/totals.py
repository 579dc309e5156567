"""Report totals kept per unit and day, so a province's year is a few thousand rows.

Summing a province's activities for a year means joining a third of a million rows to
the dated tree, five times over (totals, children, types, quantities, trend): two seconds
on PostgreSQL at a million activities. Instead, ``report_totals`` holds, for every unit
and every day, what the activities of that day in the unit's subtree *as it was that day*
add up to, per type (and ``report_quantities`` the types' own quantities).

Keeping them exact without slowing the writes that matter (a phone's push):

* every ORM write of an activity marks its (unit, day) dirty — the old pair and the new
  one — with one statement per flush (``report_dirty``);
* a move in the tree marks the moved units' days from its date, for them and for the
  parent they left;
* before a report is read, :func:`refresh` recomputes the rows of every unit above a
  dirty pair on that day, from the activities of that day (one grouped ``INSERT …
  SELECT`` per table), under a lock so two readers do not rebuild the same rows at once,
  and clears the pairs it read. A pair dirtied while a refresh runs stays dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    Numeric,
    Table,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import Activity, ActivityStatus, UnitClosure
from ..models.reports import report_dirty, report_quantities, report_totals
from .service import COUNTED, held_on_activity_date

#: Rows deleted per statement (bounded parameter lists on both databases).
CHUNK = 500
#: Days aggregated per statement when refreshing.
DAYS_PER_QUERY = 100
#: Up to this many units are named in the refresh's query; beyond, every unit is summed.
MAX_LISTED_UNITS = 2000
#: PostgreSQL advisory lock key: "so-doan report totals".
LOCK_KEY = 0x50D0A7


def _dialect(bind: Any) -> str:
    return bind.dialect.name


def _insert_ignore(bind: Any, table: Table) -> Any:
    ins = pg_insert if _dialect(bind) == "postgresql" else sqlite_insert
    return ins(table).on_conflict_do_nothing()


def mark(connection: Any, pairs: Iterable[tuple[int, date]]) -> None:
    rows = [{"unit_id": u, "day": d} for u, d in sorted(set(pairs)) if u and d]
    if rows:
        connection.execute(_insert_ignore(connection, report_dirty), rows)


def mark_units_from(session: Session, unit_ids: list[int], on: date, left: int | None) -> None:
    """``unit_ids`` moved in the tree from ``on`` (leaving the parent ``left``): the days
    of their activities from then are rolled up elsewhere now."""
    conn = session.connection()
    mine = select(Activity.unit_id, Activity.starts_on).where(
        Activity.unit_id.in_(unit_ids), Activity.starts_on >= on
    )
    conn.execute(
        _insert_ignore(conn, report_dirty).from_select(["unit_id", "day"], mine.distinct())
    )
    if left is not None:
        theirs = select(literal(left), Activity.starts_on).where(
            Activity.unit_id.in_(unit_ids), Activity.starts_on >= on
        )
        conn.execute(
            _insert_ignore(conn, report_dirty).from_select(["unit_id", "day"], theirs.distinct())
        )


# -- marking on every ORM write of an activity --------------------------------------------


@event.listens_for(Activity, "after_insert")
@event.listens_for(Activity, "after_update")
@event.listens_for(Activity, "after_delete")
def _collect(_mapper: Any, connection: Any, target: Activity) -> None:
    pairs = connection.info.setdefault("report_dirty", set())
    pairs.add((target.unit_id, target.starts_on))
    attrs = inspect(target).attrs
    old_units = attrs.unit_id.history.deleted or [target.unit_id]
    old_days = attrs.starts_on.history.deleted or [target.starts_on]
    pairs.update((u, d) for u in old_units for d in old_days)


@event.listens_for(Session, "after_flush")
def _flush_marks(session: Session, _context: Any) -> None:
    conn = session.connection()
    pairs = conn.info.pop("report_dirty", None)
    if pairs:
        mark(conn, pairs)


# -- rebuilding -----------------------------------------------------------------------------


def _counted() -> list[Any]:
    return [Activity.deleted_at.is_(None), Activity.status.in_(COUNTED)]


def _pairs(bind: Any) -> Any:
    if _dialect(bind) == "postgresql":
        return func.jsonb_each_text(Activity.quantities).table_valued("key", "value")
    return func.json_each(Activity.quantities).table_valued("key", "value")


def _aggregate(conn: Any, days: list[date] | None, ancestors: list[int] | None) -> tuple:
    """The totals and quantities rows of ``days`` (all days when None), for ``ancestors``
    (every unit when None), straight from the activities of those days."""
    c = UnitClosure

    def scoped(query: Any) -> Any:
        query = query.where(*_counted())
        if days is not None:
            query = query.where(Activity.starts_on.in_(days))
        if ancestors is not None:
            query = query.where(c.ancestor_id.in_(ancestors))
        return query

    totals = scoped(
        select(
            c.ancestor_id.label("unit_id"),
            Activity.starts_on.label("day"),
            Activity.type_id,
            func.count().label("activities"),
            func.sum(case((Activity.status == ActivityStatus.VERIFIED.value, 1), else_=0)).label(
                "verified"
            ),
            func.sum(Activity.members_count).label("members"),
            func.sum(Activity.citizens_served).label("citizens"),
            func.sum(Activity.volunteer_hours).label("hours"),
        )
        .select_from(Activity)
        .join(c, held_on_activity_date(c))
    ).group_by(c.ancestor_id, Activity.starts_on, Activity.type_id)
    pairs = _pairs(conn)
    quantities = scoped(
        select(
            c.ancestor_id.label("unit_id"),
            Activity.starts_on.label("day"),
            Activity.type_id,
            pairs.c.key.label("code"),
            func.sum(cast(pairs.c.value, Numeric(20, 1))).label("amount"),
        )
        .select_from(Activity)
        .join(c, held_on_activity_date(c))
        .join(pairs, true())
    ).group_by(c.ancestor_id, Activity.starts_on, Activity.type_id, pairs.c.key)
    return totals, quantities


def _refill(conn: Any, affected: set[tuple[int, date]]) -> None:
    """Recompute exactly the ``affected`` (unit, day) rows of both tables."""
    keys = sorted(affected)
    for table in (report_totals, report_quantities):
        for i in range(0, len(keys), CHUNK):
            pair = tuple_(table.c.unit_id, table.c.day)
            conn.execute(delete(table).where(pair.in_(keys[i : i + CHUNK])))
    days = sorted({d for _, d in affected})
    units = sorted({u for u, _ in affected})
    # A few units: ask for just those; very many: every unit of those days is cheaper.
    ancestors = units if len(units) <= MAX_LISTED_UNITS else None
    for i in range(0, len(days), DAYS_PER_QUERY):
        totals, quantities = _aggregate(conn, days[i : i + DAYS_PER_QUERY], ancestors)
        for query, table in ((totals, report_totals), (quantities, report_quantities)):
            rows = [r._asdict() for r in conn.execute(query) if (r.unit_id, r.day) in affected]
            if rows:
                conn.execute(insert(table), rows)


def refresh(session: Session) -> int:
    """Bring the totals up to date; return how many dirty pairs were handled. Commits."""
    conn = session.connection()
    if not conn.execute(select(report_dirty.c.day).limit(1)).first():
        session.rollback()
        return 0
    session.rollback()
    conn = session.connection(execution_options={"sqlite_immediate": True})
    if _dialect(conn) == "postgresql":
        # One refresher at a time; the others wait, then find little or nothing to do.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    seen = [tuple(r) for r in conn.execute(select(report_dirty.c.unit_id, report_dirty.c.day))]
    if seen:
        c, d = UnitClosure, report_dirty
        above = select(c.ancestor_id, d.c.day).join(
            c,
            and_(
                c.descendant_id == d.c.unit_id,
                c.valid_from <= d.c.day,
                or_(c.valid_to.is_(None), c.valid_to > d.c.day),
            ),
        )
        affected = {(u, day) for u, day in conn.execute(above)} | set(seen)
        _refill(conn, affected)
        # Only the pairs read above: one marked meanwhile is handled next time.
        for i in range(0, len(seen), CHUNK):
            conn.execute(
                delete(report_dirty).where(
                    tuple_(report_dirty.c.unit_id, report_dirty.c.day).in_(seen[i : i + CHUNK])
                )
            )
    session.commit()
    return len(seen)


def rebuild_all(session: Session) -> int:
    """Compute every total again from the activities (after a bulk load, or to check).
    Commits what the caller had first; returns the number of (unit, day) rows."""
    session.commit()
    conn = session.connection(execution_options={"sqlite_immediate": True})
    if _dialect(conn) == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(delete(report_dirty))
    conn.execute(delete(report_totals))
    conn.execute(delete(report_quantities))
    totals, quantities = _aggregate(conn, None, None)
    conn.execute(
        insert(report_totals).from_select(
            ["unit_id", "day", "type_id", "activities", "verified", "members", "citizens", "hours"],
            totals,
        )
    )
    conn.execute(
        insert(report_quantities).from_select(
            ["unit_id", "day", "type_id", "code", "amount"], quantities
        )
    )
    count = conn.execute(select(func.count()).select_from(report_totals)).scalar_one()
    session.commit()
    return count
