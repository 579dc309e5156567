"""Who has reported for a period, who on time, and who simply has not synced.

A branch *reported* for a period when at least one of its activities of that period was
sent up (submitted or verified). It reported *on time* when that entry was *submitted* by
the due date: the submission typed on the phone by then — the phone's clock, unless it was
flagged implausible — or reached the server as submitted by then: a branch in a commune
without signal is not punished for the network. When a draft was typed or uploaded does
not count (``Activity.submitted_at``/``submitted_typed_at``, decision 45).

For the branches that have not reported, the state of their phones tells staff whether
nothing was done or nothing could be sent: when their devices last synced, and how many
entries wait on them.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, any_, bindparam, case, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from ..activities.counted import counted
from ..formatting import VIETNAM, day, vn_date
from ..models import (
    Activity,
    Device,
    ReportingSchedule,
    Unit,
    UnitClosure,
    UnitKind,
    User,
)
from ..units.service import ancestor_ids
from .periods import Period
from .service import held_under, limited
from .source import reader

DEFAULT_FREQUENCY, DEFAULT_DUE_DAY = "monthly", 20
#: A branch whose phones have not synced for this long is called out as such.
SILENT_DAYS = 14


@dataclass(frozen=True)
class Schedule:
    frequency: str
    due_day: int
    #: The unit whose setting this is (None: the default).
    set_at_unit: Unit | None


def schedule_for(unit: Unit) -> Schedule:
    """The nearest setting at or above ``unit``."""
    chain = list(reader().scalars(ancestor_ids(unit.id)))
    found = {
        s.unit_id: s
        for s in reader().scalars(
            select(ReportingSchedule).where(ReportingSchedule.unit_id.in_(chain))
        )
    }
    for uid in chain:
        if uid in found:
            s = found[uid]
            return Schedule(s.frequency, s.due_day, reader().get(Unit, uid))
    return Schedule(DEFAULT_FREQUENCY, DEFAULT_DUE_DAY, None)


def due_date(period: Period, due_day: int) -> date:
    """The ``due_day`` of the month after the period ends."""
    end = period.ends_on
    y, m = (end.year + 1, 1) if end.month == 12 else (end.year, end.month + 1)
    return date(y, m, min(due_day, monthrange(y, m)[1]))


@dataclass
class BranchState:
    unit: Unit
    child_id: int  # the child of the unit in view this branch counts under
    activities: int
    first_typed: datetime | None
    first_received: datetime | None
    last_sync: datetime | None
    pending: int
    pending_since: datetime | None
    state: str  # on_time | late | not_due | waiting | silent | no_device | none
    label: str
    #: The due date this branch is judged by: its nearest schedule at or above it.
    due: date | None = None
    #: Its parent as the tree was at the period's end (branch names repeat).
    parent: Unit | None = None
    #: Its due date differs from the page's (a schedule of its own, said in its label).
    own_due: bool = False

    @property
    def reported(self) -> bool:
        return self.activities > 0

    def shown(self) -> str:
        """``label`` in the page's language (``label`` stays Vietnamese: the exports')."""
        said = {
            "on_time": lambda: _("Đã báo cáo đúng hạn"),
            "late": lambda: _("Đã báo cáo, trễ hạn"),
            "waiting": lambda: (
                _(
                    "Chưa gửi lên được: %(n)s mục chờ trên điện thoại từ %(on)s",
                    n=self.pending,
                    on=day(self.pending_since),
                )
                if self.pending_since
                else _("Chưa gửi lên được: %(n)s mục chờ trên điện thoại", n=self.pending)
            ),
            "no_device": lambda: _("Chưa có điện thoại nào đồng bộ"),
            "silent": lambda: _("Điện thoại không đồng bộ từ %(on)s", on=day(self.last_sync)),
            "not_due": lambda: _("Chưa báo cáo (chưa đến hạn)"),
        }
        text = said.get(self.state, lambda: _("Chưa báo cáo"))()
        if self.own_due and self.due is not None:
            text = _("%(state)s (hạn %(on)s)", state=text, on=day(self.due))
        return text


@dataclass
class ChildRow:
    unit: Unit
    expected: int
    reported: int
    on_time: int

    @property
    def rate(self) -> int:
        """The per cent of its branches that reported."""
        return round(100 * self.reported / self.expected) if self.expected else 0


@dataclass
class Completeness:
    unit: Unit
    period: Period
    schedule: Schedule
    due: date
    branches: list[BranchState]
    children: list[ChildRow]

    @property
    def expected(self) -> int:
        return len(self.branches)

    @property
    def reported(self) -> int:
        return sum(1 for b in self.branches if b.reported)

    @property
    def on_time(self) -> int:
        return sum(1 for b in self.branches if b.state == "on_time")


def _valid(c: Any, on: date) -> Any:
    return and_(c.valid_from <= on, or_(c.valid_to.is_(None), c.valid_to > on))


def _label(b: dict, due: date, today: date) -> tuple[str, str]:
    deadline = datetime.combine(due + timedelta(days=1), time.min, tzinfo=VIETNAM)
    if b["activities"]:
        firsts = [t for t in (b["first_typed"], b["first_received"]) if t is not None]
        if firsts and min(firsts) < deadline:
            return "on_time", "Đã báo cáo đúng hạn"
        return "late", "Đã báo cáo, trễ hạn"
    if b["pending"]:
        since = f" từ {vn_date(b['pending_since'])}" if b["pending_since"] else ""
        return "waiting", f"Chưa gửi lên được: {b['pending']} mục chờ trên điện thoại{since}"
    if b["last_sync"] is None:
        return "no_device", "Chưa có điện thoại nào đồng bộ"
    silent_since = today - timedelta(days=SILENT_DAYS)
    if b["last_sync"].astimezone(VIETNAM).date() < silent_since:
        return "silent", f"Điện thoại không đồng bộ từ {vn_date(b['last_sync'])}"
    if today <= due:
        return "not_due", "Chưa báo cáo (chưa đến hạn)"
    return "none", "Chưa báo cáo"


def completeness(
    unit: Unit, period: Period, today: date, within: int | None = None
) -> Completeness:
    """Every branch in ``unit``'s subtree (as it was at the period's end, and in the
    reader's, ``within``) that was open during the period, in five queries, each judged
    by its own nearest schedule.

    A branch's activities count only when, on their date, it was in ``unit``'s subtree
    (and ``within``'s): a branch moved in mid-period is judged, and counted, on what it did
    here — the same figure as its row on the overview and its own page (decision 44)."""
    schedule = schedule_for(unit)
    due = due_date(period, schedule.due_day)
    end = period.ends_on
    whole, own, child = aliased(UnitClosure), aliased(UnitClosure), aliased(UnitClosure)
    # The child of ``unit`` each branch belongs to: the branch's ancestor one level
    # below ``unit`` (the branch itself when it is a direct child, or ``unit`` when the
    # unit in view is a branch).
    rows = (
        select(Unit, own.ancestor_id.label("child_id"))
        .join(whole, and_(whole.descendant_id == Unit.id, whole.ancestor_id == unit.id))
        .join(own, and_(own.descendant_id == Unit.id, _valid(own, end)))
        .join(
            child,
            and_(
                child.ancestor_id == unit.id,
                child.descendant_id == own.ancestor_id,
                child.distance == (case((Unit.id == unit.id, 0), else_=1)),
                _valid(child, end),
            ),
        )
        .where(
            _valid(whole, end),
            Unit.kind == UnitKind.BRANCH,
            Unit.opened_on <= end,
            or_(Unit.closed_on.is_(None), Unit.closed_on > period.starts_on),
        )
        .order_by(Unit.name_fold)
    )
    rows = reader().execute(limited(rows, Unit.id, end, within, skip=unit.id)).all()
    branches = {r.Unit.id: (r.Unit, r.child_id) for r in rows}
    ids = list(branches)
    dues = _due_days(ids, end, DEFAULT_DUE_DAY)

    # Judged by the submission (decision 45), not by when a draft was first typed or
    # uploaded: a draft typed on the 5th and submitted after the due date is late.
    here = aliased(UnitClosure)
    sent_up = (
        select(
            Activity.unit_id,
            func.count().label("activities"),
            func.min(Activity.submitted_typed_at).label("first_typed"),
            func.min(Activity.submitted_at).label("first_received"),
        )
        .join(here, held_under(here, unit.id, Activity.unit_id, Activity.starts_on))
        .where(
            one_of(Activity.unit_id, ids),
            Activity.starts_on >= period.starts_on,
            Activity.starts_on <= period.ends_on,
            counted(),
        )
    )
    sent_up = limited(sent_up, Activity.unit_id, Activity.starts_on, within, skip=unit.id)
    stats = {r.unit_id: r for r in reader().execute(sent_up.group_by(Activity.unit_id))}
    phones = {
        r.unit_id: r
        for r in reader().execute(
            select(
                User.unit_id,
                func.max(Device.last_seen_at).label("last_sync"),
                func.sum(Device.pending_count).label("pending"),
                func.min(Device.pending_since).label("pending_since"),
            )
            .join(Device, Device.user_id == User.id)
            .where(one_of(User.unit_id, ids), Device.revoked_at.is_(None))
            .group_by(User.unit_id)
        )
    }
    parents = _parents(ids, end)
    states: list[BranchState] = []
    for uid, (branch, child_id) in branches.items():
        s, p = stats.get(uid), phones.get(uid)
        facts = {
            "activities": int(s.activities) if s else 0,
            "first_typed": _aware(s.first_typed) if s else None,
            "first_received": _aware(s.first_received) if s else None,
            "last_sync": _aware(p.last_sync) if p else None,
            "pending": int(p.pending or 0) if p else 0,
            "pending_since": _aware(p.pending_since) if p else None,
        }
        branch_due = due_date(period, dues.get(uid, DEFAULT_DUE_DAY))
        state, label = _label(facts, branch_due, today)
        if branch_due != due:
            label = f"{label} (hạn {vn_date(branch_due)})"
        states.append(
            BranchState(
                branch,
                child_id,
                state=state,
                label=label,
                due=branch_due,
                own_due=branch_due != due,
                parent=parents.get(uid),
                **facts,
            )
        )
    # Not reported first, then by name: the page is a list of whom to call.
    states.sort(key=lambda b: (b.reported, b.unit.name_fold))

    by_child: dict[int, ChildRow] = {}
    child_units = {
        u.id: u
        for u in reader().scalars(
            select(Unit).where(Unit.id.in_({c for _, c in branches.values()}))
        )
    }
    for b in states:
        row = by_child.setdefault(b.child_id, ChildRow(child_units[b.child_id], 0, 0, 0))
        row.expected += 1
        row.reported += b.reported
        row.on_time += b.state == "on_time"
    children = sorted(by_child.values(), key=lambda r: r.unit.name_fold)
    return Completeness(unit, period, schedule, due, states, children)


def one_of(column: Any, ids: list[int]) -> Any:
    """``column IN ids``; on PostgreSQL as one array parameter (``= ANY``): a province's
    thousand branch ids as a thousand parameters were rendered, sent and parsed again in
    each of four statements of the page."""
    if reader().get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _parents(branch_ids: list[int], on: date) -> dict[int, Unit]:
    """Each branch's parent as the tree was on ``on``, in one query."""
    if not branch_ids:
        return {}
    up = aliased(UnitClosure)
    rows = reader().execute(
        select(up.descendant_id, Unit)
        .join(Unit, Unit.id == up.ancestor_id)
        .where(one_of(up.descendant_id, branch_ids), up.distance == 1, _valid(up, on))
    )
    return {branch: parent for branch, parent in rows}


def _due_days(branch_ids: list[int], on: date, default: int) -> dict[int, int]:
    """Each branch's due day: the schedule of the nearest unit at or above it (as the tree
    was on ``on``), in one query — schedules are inherited down the tree (decision 34),
    so a province's view judges a district's branches by the district's own day."""
    if not branch_ids:
        return {}
    c = aliased(UnitClosure)
    rows = reader().execute(
        select(c.descendant_id, c.distance, ReportingSchedule.due_day)
        .join(ReportingSchedule, ReportingSchedule.unit_id == c.ancestor_id)
        .where(one_of(c.descendant_id, branch_ids), _valid(c, on))
        .order_by(c.descendant_id, c.distance.desc())
    )
    # Ordered farthest first: the nearest setting is written last and wins.
    found = {branch: day for branch, _distance, day in rows}
    return {b: found.get(b, default) for b in branch_ids}


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the column type on some drivers: make sure times are UTC-aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
