"""The write side of the report totals: what every activity write and tree move leaves
for the totals worker to add up (the totals themselves: :mod:`server.reports.totals`).

Keeping the totals exact without slowing the writes that matter (a phone's push), two
ways:

* **deltas**, for activity writes: every ORM write of an activity records what the
  record's contribution changed — minus what it counted for before (if it was counted,
  :mod:`server.activities.counted`), plus what it counts for now — per (unit, day, type)
  of the activity itself, netted per flush and written with one multi-row ``INSERT``
  into ``report_deltas`` in the write's own transaction. The push's batch ``INSERT``
  path records plus-only rows the same way (:func:`record_inserted`, from
  ``server/activities/inserts.py``);
* **proven**, for evidence writes: a photo stored, deleted or restored can change whether
  its activity has evidence (decision 188); :func:`settle_proven` keeps
  ``Activity.proven`` true to the photos and records the change as a delta like any
  other field of the activity (decision 191);
* **dirty pairs**, for tree moves: a move marks the moved units' days from its date, for
  them and for the parent they left, in ``report_dirty`` — including the days of their
  deltas not yet applied, whose ancestors changed under them. The unit tree knows nothing
  of reports: it sends :data:`server.units.service.tree_changed`, which :func:`register`
  subscribes to.

Nothing here is wired by importing it: :func:`register`, called by ``create_app``,
attaches the ORM hooks and the signal (decision 59).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, event, insert, inspect, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from ..activities.counted import counts
from ..models import Activity, ActivityStatus, Evidence
from ..models.reports import report_deltas, report_dirty
from ..units.service import tree_changed

#: An activity's fields its contribution to the totals depends on.
FIELDS = (
    "unit_id",
    "starts_on",
    "type_id",
    "status",
    "deleted_at",
    "members_count",
    "citizens_served",
    "volunteer_hours",
    "quantities",
    "proven",
)
SUMS = ("activities", "verified", "members", "citizens", "hours", "proven")

Key = tuple[int, date, int]
#: activities, verified, members, citizens, hours, proven, then the quantities by code.
Contribution = tuple[Key, tuple[int, int, int, int, Decimal, int], dict[str, Decimal]]


def zero() -> list[Any]:
    """A row of :data:`SUMS` at zero (``hours`` a decimal), to add contributions into."""
    return [Decimal(0) if name == "hours" else 0 for name in SUMS]


def dialect(bind: Any) -> str:
    return bind.dialect.name


def upsert(bind: Any, table: Table) -> Any:
    """The backend's ``INSERT`` with ``ON CONFLICT``."""
    return (pg_insert if dialect(bind) == "postgresql" else sqlite_insert)(table)


# -- what an activity counts for ------------------------------------------------------------


def contribution(values: Mapping[str, Any]) -> Contribution | None:
    """What an activity with these field values adds to the totals of its own unit and
    day, or None when it is not counted (deleted, draft or returned)."""
    if not counts(values.get("status"), values.get("deleted_at")):
        return None
    if not values.get("unit_id") or not values.get("starts_on"):
        return None
    key = (values["unit_id"], values["starts_on"], values["type_id"])
    sums = (
        1,
        1 if values["status"] == ActivityStatus.VERIFIED.value else 0,
        values.get("members_count") or 0,
        values.get("citizens_served") or 0,
        Decimal(str(values.get("volunteer_hours") or 0)),
        1 if values.get("proven") else 0,
    )
    amounts = {
        str(code): Decimal(str(v))
        for code, v in (values.get("quantities") or {}).items()
        if v is not None
    }
    return key, sums, amounts


class Deltas:
    """Signed contributions gathered over a flush, netted per (unit, day, type)."""

    def __init__(self) -> None:
        self.sums: dict[Key, list[Any]] = {}
        self.amounts: dict[Key, dict[str, Decimal]] = {}

    def add(self, c: Contribution | None, sign: int) -> None:
        if c is None:
            return
        key, sums, amounts = c
        mine = self.sums.setdefault(key, zero())
        for i, v in enumerate(sums):
            mine[i] += sign * v
        codes = self.amounts.setdefault(key, {})
        for code, v in amounts.items():
            codes[code] = codes.get(code, Decimal(0)) + sign * v

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key, sums in sorted(self.sums.items()):
            amounts = {code: str(v) for code, v in sorted(self.amounts[key].items()) if v}
            if not any(sums) and not amounts:
                continue  # an edit that changed nothing counted (a title, a place)
            unit_id, day, type_id = key
            out.append(
                {"unit_id": unit_id, "day": day, "type_id": type_id}
                | dict(zip(SUMS, sums, strict=True))
                | {"quantities": amounts}
            )
        return out


def record(connection: Any, deltas: Deltas) -> None:
    """Write the netted deltas with one statement (nothing when they cancel out)."""
    rows = deltas.rows()
    if rows:
        connection.execute(insert(report_deltas), rows)


def record_inserted(connection: Any, rows: Iterable[Mapping[str, Any]]) -> None:
    """The deltas of newly inserted activity rows (plus only), for writers that insert
    without the ORM and so without its hooks."""
    deltas = Deltas()
    for row in rows:
        deltas.add(contribution(row), +1)
    record(connection, deltas)


def mark_units_from(session: Session, unit_ids: list[int], on: date, left: int | None) -> None:
    """``unit_ids`` moved in the tree from ``on`` (leaving the parent ``left``): the days
    of their activities from then are rolled up elsewhere now. Their deltas not applied
    yet were recorded against the old ancestors' totals, so their days are marked too
    (a refresh never adds a delta to a recomputed row)."""
    conn = session.connection()
    mark = upsert(conn, report_dirty).on_conflict_do_nothing()
    for unit, day in (
        (Activity.unit_id, Activity.starts_on),
        (report_deltas.c.unit_id, report_deltas.c.day),
    ):
        mine = select(unit, day).where(unit.in_(unit_ids), day >= on)
        conn.execute(mark.from_select(["unit_id", "day"], mine.distinct()))
        if left is not None:
            theirs = select(literal(left), day).where(unit.in_(unit_ids), day >= on)
            conn.execute(mark.from_select(["unit_id", "day"], theirs.distinct()))


# -- deltas of every ORM write of an activity -----------------------------------------------


def _old_values(target: Activity) -> dict[str, Any]:
    """The fields as the database held them before this flush. The fields are mapped with
    ``active_history``, so a changed one has its old value even if it was expired."""
    attrs = inspect(target).attrs
    old = {}
    for name in FIELDS:
        deleted = attrs[name].history.deleted
        old[name] = deleted[0] if deleted else getattr(target, name)
    return old


def _new_values(target: Activity) -> dict[str, Any]:
    return {name: getattr(target, name) for name in FIELDS}


def _pending(target: Activity) -> Deltas:
    # Kept on the session, started afresh by every flush: a flush that failed half-way
    # leaves nothing behind for the next one.
    return object_session(target).info.setdefault("report_deltas", Deltas())


def _start(session: Session, _context: Any, _instances: Any) -> None:
    session.info["report_deltas"] = Deltas()


def _inserted(_mapper: Any, _connection: Any, target: Activity) -> None:
    _pending(target).add(contribution(_new_values(target)), +1)


def _updated(_mapper: Any, _connection: Any, target: Activity) -> None:
    deltas = _pending(target)
    deltas.add(contribution(_old_values(target)), -1)
    deltas.add(contribution(_new_values(target)), +1)


def _deleting(_mapper: Any, _connection: Any, target: Activity) -> None:
    # Before, not after: an expired field can still be loaded from the row.
    _pending(target).add(contribution(_old_values(target)), -1)


def _flush_deltas(session: Session, _context: Any) -> None:
    deltas = session.info.pop("report_deltas", None)
    if deltas is not None:
        record(session.connection(), deltas)


# -- whether an activity has evidence -------------------------------------------------------

#: The evidence fields whether a photo is evidence depends on (decision 188).
EVIDENCE_FIELDS = ("stored", "deleted_at")


def settle_proven(session: Session, activity_ids: Iterable[Any]) -> None:
    """Set ``Activity.proven`` of ``activity_ids`` from their photos as the transaction
    sees them now, and record what that changed in the totals.

    The activities are locked first (PostgreSQL), then their photos read: two uploads
    finishing together for one activity, or an upload and a delete, each see the other's
    committed photo, so the last one to commit decides from every photo (without the lock,
    one that read no stored photo could clear the flag the other had just set). An
    activity's writers lock it too (the push's prefetch, review), so their old values,
    ``proven`` included, are the committed ones."""
    ids = sorted(set(activity_ids))
    if not ids:
        return
    conn = session.connection()
    a = Activity.__table__
    conn.execute(select(a.c.id).where(a.c.id.in_(ids)).order_by(a.c.id).with_for_update())
    having = set(
        conn.scalars(
            select(Evidence.activity_id)
            .where(
                Evidence.activity_id.in_(ids),
                Evidence.stored.is_(True),
                Evidence.deleted_at.is_(None),
            )
            .distinct()
        )
    )
    deltas = Deltas()
    returned = [a.c[name] for name in FIELDS]
    for now, chosen in (
        (True, [i for i in ids if i in having]),
        (False, [i for i in ids if i not in having]),
    ):
        if not chosen:
            continue
        changed = conn.execute(
            update(a)
            .where(a.c.id.in_(chosen), a.c.proven.is_(not now))
            .values(proven=now)
            .returning(a.c.id, *returned)
        )
        for row in changed:
            values = {name: getattr(row, name) for name in FIELDS}
            deltas.add(contribution(values | {"proven": not now}), -1)
            deltas.add(contribution(values), +1)
            # An activity this session holds must know the flag the row has now, or its
            # next change would subtract what it counted for with the old one.
            held = session.identity_map.get(session.identity_key(Activity, row.id))
            if held is not None:
                set_committed_value(held, "proven", now)
    record(conn, deltas)


def _evidence_flushed(session: Session, _context: Any) -> None:
    """After a flush: settle the activities whose photos were added, removed, stored,
    deleted or restored in it (the session still lists what the flush wrote)."""
    touched = set()
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Evidence):
            touched.add(obj.activity_id)
    for obj in session.dirty:
        if isinstance(obj, Evidence):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in EVIDENCE_FIELDS):
                touched.add(obj.activity_id)
    settle_proven(session, touched)


def _tree_moved(session: Session, *, unit_ids: list[int], on: date, left: int | None) -> None:
    mark_units_from(session, unit_ids, on, left)


_HOOKS = (
    (Session, "before_flush", _start),
    (Activity, "after_insert", _inserted),
    (Activity, "after_update", _updated),
    (Activity, "before_delete", _deleting),
    (Session, "after_flush", _flush_deltas),
    (Session, "after_flush", _evidence_flushed),
)


def register() -> None:
    """Record the deltas of every ORM write of an activity and mark the pairs of every
    tree move. Safe to call again (every app the tests build calls it): a hook attached
    twice would count every change twice."""
    for target, name, fn in _HOOKS:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
    tree_changed.connect(_tree_moved)
