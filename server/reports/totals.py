"""Report totals kept per unit and day, so a province's year is a few thousand rows.

Summing a province's activities for a year means joining a third of a million rows to
the dated tree, five times over (totals, children, types, quantities, trend): two seconds
on PostgreSQL at a million activities. Instead, ``report_totals`` holds, for every unit
and every day, what the activities of that day in the unit's subtree *as it was that day*
add up to, per type (and ``report_quantities`` the types' own quantities, the non-zero
amounts only: a missing row reads as zero, and a row that falls to zero is deleted).

Writes leave deltas and dirty pairs behind (:mod:`server.reports.deltas`); the totals
worker (:mod:`server.reports.worker`, a process of its own) calls :func:`refresh` to add
them in, so a report read never writes (decision 55). :func:`refresh`, under a lock (so
two refreshers do not do the same work):

1. consumes the deltas (``DELETE … RETURNING``: exactly the rows it deletes are the ones
   it applies, whatever commits meanwhile), adds them up per (unit, day, type), finds
   every unit above each on that day in the dated closure, and adds the sums in with an
   upsert (``ON CONFLICT … DO UPDATE SET x = x + excluded.x``), deleting rows that fall
   to zero activities (or, for quantities, to a zero amount). Its cost follows the
   number of edits, not the activities of their days (after 200 scattered edits over
   a million activities the next read took 3–5 s, now 65–184 ms: docs/BENCHMARKS.md);
2. recomputes the rows of every unit above a dirty pair on that day from the activities
   of that day (one grouped ``INSERT … SELECT`` per table). A recomputed (unit, day)
   already includes every committed change, so a delta is not added to a row recomputed
   in the same refresh (and the recompute, coming after, would replace it anyway). That
   needs the deltas consumed and the activities read to be the same set of changes: on
   PostgreSQL a delta committed between the two would be counted by the recompute *and*
   left waiting for the next refresh. So when there are dirty pairs the refresh first
   takes ``report_deltas`` in EXCLUSIVE mode: writers that recorded deltas commit first,
   new ones wait for this short transaction; a refresh of deltas alone (the usual case)
   blocks nobody. (SQLite's ``BEGIN IMMEDIATE`` already keeps every writer out.) Dirty
   pairs marked while a refresh runs stay for the next one.

Writes that bypass both (a Core ``UPDATE`` of counted fields) are not seen;
:func:`rebuild_all` recomputes everything from scratch.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from ..activities.counted import counted
from ..models import Activity, ActivityStatus, UnitClosure
from ..models.reports import report_deltas, report_dirty, report_quantities, report_totals
from .deltas import SUMS, Key, dialect, upsert, zero
from .service import held_on_activity_date

#: Rows deleted per statement (bounded parameter lists on both databases).
CHUNK = 500
#: Days aggregated per statement when refreshing.
DAYS_PER_QUERY = 100
#: Up to this many units are named in the refresh's query; beyond, every unit is summed.
MAX_LISTED_UNITS = 2000
#: PostgreSQL advisory lock key: "so-doan report totals".
LOCK_KEY = 0x50D0A7


# -- rebuilding -----------------------------------------------------------------------------


def _pairs(bind: Any) -> Any:
    if dialect(bind) == "postgresql":
        return func.jsonb_each_text(Activity.quantities).table_valued("key", "value")
    return func.json_each(Activity.quantities).table_valued("key", "value")


def _aggregate(conn: Any, days: list[date] | None, ancestors: list[int] | None) -> tuple:
    """The totals and quantities rows of ``days`` (all days when None), for ``ancestors``
    (every unit when None), straight from the activities of those days."""
    c = UnitClosure

    def scoped(query: Any) -> Any:
        query = query.where(counted())
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
            func.sum(case((Activity.proven.is_(True), 1), else_=0)).label("proven"),
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
    # Non-zero amounts only, as the deltas leave them (a zero amount reads the same).
    quantities = quantities.having(func.sum(cast(pairs.c.value, Numeric(20, 1))) != 0)
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


def _consume(conn: Any) -> list[Any]:
    """Take every delta row: exactly those deleted are returned, so a delta committed
    meanwhile is neither lost nor applied twice."""
    columns = [report_deltas.c[n] for n in ("unit_id", "day", "type_id", *SUMS, "quantities")]
    return list(conn.execute(delete(report_deltas).returning(*columns)))


def _ancestors(conn: Any, unit_ids: list[int]) -> dict[int, list[tuple[int, date, Any]]]:
    """For each unit, every unit above it (itself included) with the dates it held it."""
    c = UnitClosure
    above: dict[int, list[tuple[int, date, Any]]] = defaultdict(list)
    for i in range(0, len(unit_ids), CHUNK):
        query = select(c.descendant_id, c.ancestor_id, c.valid_from, c.valid_to).where(
            c.descendant_id.in_(unit_ids[i : i + CHUNK])
        )
        for d, a, valid_from, valid_to in conn.execute(query):
            above[d].append((a, valid_from, valid_to))
    return above


def _add_up(conn: Any, table: Table, keys: list[str], rows: list[dict], value: str) -> None:
    """Add ``rows`` into ``table`` (upsert adding each sum), then delete the rows whose
    ``value`` fell to zero. The upsert returns each row's new value, so the deletes are
    by primary key and only for those rows (a ``(unit, day, type) IN (…)`` list over the
    touched rows is a scan of the whole table on SQLite)."""
    if not rows:
        return
    ins = upsert(conn, table)
    added: dict[str, Any] = {}
    for column in table.c:
        if column.key in keys:
            continue
        total = column + ins.excluded[column.key]
        # Numeric columns are REAL on SQLite: rounded to their scale at every addition, so
        # sums of tenths never drift and a zero is exactly zero.
        added[column.key] = func.round(total, 1) if isinstance(column.type, Numeric) else total
    adding = ins.on_conflict_do_update(index_elements=keys, set_=added).returning(
        *(table.c[k] for k in keys), table.c[value]
    )
    zero = [dict(zip(keys, r[:-1], strict=True)) for r in conn.execute(adding, rows) if r[-1] == 0]
    if zero:
        by_key = and_(*(table.c[k] == bindparam(f"key_{k}", type_=table.c[k].type) for k in keys))
        conn.execute(delete(table).where(by_key), [{f"key_{k}": z[k] for k in keys} for z in zero])


def _apply(conn: Any, deltas: list[Any], recomputed: set[tuple[int, date]]) -> None:
    """Add the consumed ``deltas`` to the rows of every unit above them on their day,
    except the (unit, day) rows ``recomputed`` from the activities in this refresh, which
    already include them."""
    sums: dict[Key, list[Any]] = defaultdict(zero)
    amounts: dict[tuple[int, date, int, str], Decimal] = defaultdict(Decimal)
    for row in deltas:
        mine = sums[row.unit_id, row.day, row.type_id]
        for i, name in enumerate(SUMS):
            mine[i] += Decimal(str(getattr(row, name))) if name == "hours" else getattr(row, name)
        for code, v in (row.quantities or {}).items():
            amounts[row.unit_id, row.day, row.type_id, code] += Decimal(str(v))
    above = _ancestors(conn, sorted({u for u, _, _ in sums}))

    def holders(unit_id: int, day: date) -> list[int]:
        return [
            a
            for a, valid_from, valid_to in above[unit_id]
            if valid_from <= day
            and (valid_to is None or valid_to > day)
            and (a, day) not in recomputed
        ]

    totals: dict[Key, list[Any]] = defaultdict(zero)
    for (unit_id, day, type_id), values in sums.items():
        for a in holders(unit_id, day):
            mine = totals[a, day, type_id]
            for i, v in enumerate(values):
                mine[i] += v
    quantities: dict[tuple[int, date, int, str], Decimal] = defaultdict(Decimal)
    for (unit_id, day, type_id, code), amount in amounts.items():
        for a in holders(unit_id, day):
            quantities[a, day, type_id, code] += amount
    keys = ["unit_id", "day", "type_id"]
    _add_up(
        conn,
        report_totals,
        keys,
        [
            dict(zip(keys, k, strict=True)) | dict(zip(SUMS, v, strict=True))
            for k, v in sorted(totals.items())
            if any(v)
        ],
        "activities",
    )
    _add_up(
        conn,
        report_quantities,
        [*keys, "code"],
        [
            dict(zip([*keys, "code"], k, strict=True)) | {"amount": v}
            for k, v in sorted(quantities.items())
            if v
        ],
        "amount",
    )


def refresh(session: Session) -> int:
    """Bring the totals up to date; return how many delta rows and dirty pairs were
    handled. Commits."""
    conn = session.connection()
    waiting = conn.execute(select(report_deltas.c.id).limit(1)).first() is not None
    dirty = conn.execute(select(report_dirty.c.day).limit(1)).first() is not None
    session.rollback()
    if not waiting and not dirty:
        return 0
    conn = session.connection(execution_options={"sqlite_immediate": True})
    fenced = True  # SQLite: BEGIN IMMEDIATE keeps every writer out until the commit.
    if dialect(conn) == "postgresql":
        # One refresher at a time; the others wait, then find little or nothing to do.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        # Recomputing rows next to consuming deltas needs both to see the same changes:
        # writers of deltas finish first, the next ones wait (module docstring, step 2).
        fenced = dirty
        if fenced:
            conn.execute(text("LOCK TABLE report_deltas IN EXCLUSIVE MODE"))
    seen: list[tuple[int, date]] = []
    if fenced:
        seen = [tuple(r) for r in conn.execute(select(report_dirty.c.unit_id, report_dirty.c.day))]
    affected: set[tuple[int, date]] = set()
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
    deltas = _consume(conn)
    _apply(conn, deltas, affected)
    if seen:
        _refill(conn, affected)
        # Only the pairs read above: one marked meanwhile is handled next time.
        for i in range(0, len(seen), CHUNK):
            conn.execute(
                delete(report_dirty).where(
                    tuple_(report_dirty.c.unit_id, report_dirty.c.day).in_(seen[i : i + CHUNK])
                )
            )
    session.commit()
    return len(deltas) + len(seen)


def rebuild_all(session: Session) -> int:
    """Compute every total again from the activities (after a bulk load, or to check).
    Commits what the caller had first; returns the number of (unit, day) rows."""
    session.commit()
    conn = session.connection(execution_options={"sqlite_immediate": True})
    if dialect(conn) == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        # The deltas dropped below must be exactly the changes the rebuild reads.
        conn.execute(text("LOCK TABLE report_deltas IN EXCLUSIVE MODE"))
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(delete(report_deltas))
    conn.execute(delete(report_dirty))
    conn.execute(delete(report_totals))
    conn.execute(delete(report_quantities))
    totals, quantities = _aggregate(conn, None, None)
    conn.execute(
        insert(report_totals).from_select(
            ["unit_id", "day", "type_id", *SUMS],
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
