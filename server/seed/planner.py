"""Drawing the demo's activities: which branch did what, when, where, with what figures.

Every random choice comes from one ``random.Random(SEED)`` drawn in a fixed order, so the
demo is the same on every machine; the tables it draws from (weights, seasons, titles,
how each quantity is drawn) are in ``data/activities.toml``.
"""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import ActivityStatus, ActivityType, Role, Unit, User
from . import figures, load_data
from .tree import History, Tree

#: Fixed, so that activity ids are the same on every machine and every run.
NAMESPACE = uuid.UUID("5d0a7c1e-2015-4b36-9c1a-cb0000000036")
SEED = 2015
PHASE_START, PHASE_END = date(2015, 1, 1), date(2017, 12, 31)
PHASE_ACTIVITIES = 2700
RECENT_ACTIVITIES = 1300

_DATA = load_data("activities")
MONTH_WEIGHTS: tuple[float, ...] = tuple(_DATA["month_weights"])
OFFICE_TYPES: frozenset[str] = frozenset(_DATA["office_types"])
RETURN_COMMENTS: tuple[str, ...] = tuple(_DATA["return_comments"])
TYPE_WEIGHTS: dict[str, dict[str, float]] = _DATA["type_weights"]
SEASONS: dict[str, dict[int, float]] = {
    code: {int(month): factor for month, factor in months.items()}
    for code, months in _DATA["seasons"].items()
}
SECTOR_BIAS: dict[str, float] = _DATA["sector_bias"]
CAMPAIGNS: dict[str, float] = _DATA["campaigns"]
#: (days since it ended below which the row applies, (status, weight)…), youngest first.
STATUS_BY_AGE: tuple[tuple[float, tuple[tuple[ActivityStatus, int], ...]], ...] = tuple(
    (
        row.get("under_days", math.inf),
        tuple((ActivityStatus(k), w) for k, w in row.items() if k != "under_days"),
    )
    for row in _DATA["status_by_age"]
)
STATUS_IN_PHASE: tuple[tuple[ActivityStatus, int], ...] = tuple(
    (ActivityStatus(status), weight) for status, weight in _DATA["status_in_phase"].items()
)
DESCRIPTIONS: dict[str, str] = _DATA["descriptions"]
#: Templates by type: (text, first year it makes sense, months it fits or None for any).
TITLES: dict[str, list[tuple[str, int, tuple[int, ...] | None]]] = {
    key: [
        (t["text"], t.get("from_year", 0), tuple(t["months"]) if "months" in t else None)
        for t in templates
    ]
    for key, templates in _DATA["titles"].items()
}

_PREFIXES = ("Đoàn cơ sở ", "Liên chi đoàn ", "Chi đoàn ", "Đoàn ")


def _bare(name: str) -> str:
    """ "Đoàn xã Trường Hà" → "xã Trường Hà", "Chi đoàn xóm Pác Bó" → "xóm Pác Bó"."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _open_on(unit: Unit, day: date) -> bool:
    return unit.opened_on <= day and (unit.closed_on is None or day < unit.closed_on)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Scene:
    xa: str  # "xã Trường Hà"
    xom: str  # "xóm Pác Bó"
    coquan: str  # "Sở Tư pháp", or "UBND xã Trường Hà" for a commune's branch
    border: bool


@dataclass
class _Branch:
    code: str
    unit: Unit
    sector: str
    opened_on: date
    closed_on: date | None

    def open_between(self, first: date, last: date) -> bool:
        return self.opened_on <= first and (self.closed_on is None or last < self.closed_on)


class Planner:
    """Draws the demo's activities, always in the same order from the same generator."""

    def __init__(self, tree: Tree, today: date) -> None:
        self.rng = random.Random(SEED)
        self.tree = tree
        # The tree changes expired every loaded unit; one query reloads them all at once.
        db.session.scalars(
            select(Unit)
            .where(Unit.code.in_(list(tree.units)))
            .execution_options(populate_existing=True)
        ).all()
        self.today = today
        self.last_day = today - timedelta(days=1)
        # Timestamps stay before midnight (Vietnam time) of ``today``: nothing in the future.
        self.latest = datetime.combine(self.last_day, datetime.min.time(), UTC) + timedelta(
            hours=16, minutes=59
        )
        self.types = {
            t.code: t for t in db.session.scalars(select(ActivityType).where(ActivityType.active))
        }
        self.branches = [
            _Branch(code, unit, tree.sector[code], unit.opened_on, unit.closed_on)
            for code, unit in sorted(tree.units.items())
            if code in tree.sector
        ]
        self.communes = [tree.units[code] for code in sorted(tree.communes) if code in tree.units]
        self.by_id = {u.id: u for u in tree.units.values()}
        self.history = History(set(self.by_id))
        self.counters: dict[str, int] = defaultdict(int)
        self._people()

    def _people(self) -> None:
        """Who records for each branch and who reviews it (the nearest staff above)."""
        users = db.session.execute(
            select(User.id, User.unit_id, User.role)
            .where(User.is_active, User.unit_id.in_(list(self.by_id)))
            .order_by(User.id)
        ).all()
        order = {Role.BRANCH_SECRETARY.value: 0, Role.BRANCH_MEMBER.value: 1}
        self.recorders: dict[int, list[int]] = defaultdict(list)
        staff: dict[int, int] = {}
        for user_id, unit_id, role in sorted(users, key=lambda r: (order.get(r[2], 2), r[0])):
            if role in order:
                self.recorders[unit_id].append(user_id)
            elif role == Role.UNIT_STAFF.value:
                staff.setdefault(unit_id, user_id)
        # Whatever nobody below the province reviews, the provincial office does.
        above = [r[0] for r in users if r[2] == Role.PROVINCIAL_STAFF.value]
        above += [r[0] for r in users if r[2] == Role.ADMIN.value]
        fallback = above[0] if above else None
        self.reviewers: dict[int, int | None] = {}
        for branch in self.branches:
            unit_id: int | None = branch.unit.id
            reviewer = None
            while unit_id is not None and reviewer is None:
                reviewer = staff.get(unit_id)
                unit_id = self.by_id[unit_id].parent_id if unit_id in self.by_id else None
            self.reviewers[branch.unit.id] = reviewer or fallback

    # -- drawing ---------------------------------------------------------------------------

    def plan(self) -> list[dict[str, Any]]:
        """All activities of both periods, in drawing order.

        Each branch gets an activity level per period, and a few get none at all, so that
        "which units have not reported" has answers.
        """
        rng = self.rng
        levels_phase = [
            0.0 if rng.random() < 0.05 else rng.uniform(0.4, 1.8) for _ in self.branches
        ]
        levels_recent = [
            0.0 if rng.random() < 0.08 else rng.uniform(0.3, 1.8) for _ in self.branches
        ]
        plans: list[dict[str, Any]] = []
        windows = (
            (PHASE_START, min(PHASE_END, self.last_day), PHASE_ACTIVITIES, levels_phase, True),
            (
                self.today - timedelta(days=365),
                self.last_day,
                RECENT_ACTIVITIES,
                levels_recent,
                False,
            ),
        )
        for start, end, count, levels, in_phase in windows:
            if end < start:
                continue
            weights = [
                level * SECTOR_BIAS[b.sector] * (1.3 if b.unit.border_area else 1.0)
                for b, level in zip(self.branches, levels, strict=True)
            ]
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            day_weights = list(accumulate(MONTH_WEIGHTS[d.month - 1] for d in days))
            branch_weights = list(accumulate(weights))
            if not branch_weights or branch_weights[-1] <= 0:
                continue
            for _ in range(count):
                plan = self._one(start, end, days, day_weights, branch_weights, in_phase)
                if plan is not None:
                    plans.append(plan)
        return plans

    def _pick(self, cumulative: list[float]) -> int:
        return bisect_right(cumulative, self.rng.random() * cumulative[-1])

    def _one(
        self,
        start: date,
        end: date,
        days: list[date],
        day_weights: list[float],
        branch_weights: list[float],
        in_phase: bool,
    ) -> dict[str, Any] | None:
        rng = self.rng
        day = days[min(self._pick(day_weights), len(days) - 1)]
        branch = None
        for _ in range(12):
            candidate = self.branches[min(self._pick(branch_weights), len(self.branches) - 1)]
            if candidate.open_between(day, day):
                branch = candidate
                break
        if branch is None:
            return None
        type_code = self._type(branch, day)
        if type_code is None:
            return None
        if type_code == "thu_bay_tinh_nguyen":
            saturday = day - timedelta(days=(day.weekday() - 5) % 7)
            if saturday >= start and branch.open_between(saturday, saturday):
                day = saturday
        length = 1
        if rng.random() < CAMPAIGNS.get(type_code, 0.0):
            length = rng.randint(2, 5)
        ends_on = min(day + timedelta(days=length - 1), end)
        while not branch.open_between(day, ends_on):
            ends_on -= timedelta(days=1)
        return self._details(branch, type_code, day, ends_on, in_phase)

    def _type(self, branch: _Branch, day: date) -> str | None:
        base = TYPE_WEIGHTS[branch.sector]
        codes, weights = [], []
        for code, weight in base.items():
            if code not in self.types:
                continue
            if code == "bien_gioi_hai_dao" and branch.unit.border_area:
                weight *= 4
            weight *= SEASONS.get(code, {}).get(day.month, 1.0)
            if code == "ky_nghi_hong" and day.month not in (6, 7, 8):
                weight *= 0.3
            codes.append(code)
            weights.append(weight)
        if not codes:
            return None
        return codes[self._pick(list(accumulate(weights)))]

    def _where(self, branch: _Branch, type_code: str, day: date) -> _Scene:
        """Where the activity happened and whose it was, worded as the tree was on ``day``.

        A commune's branch works at home; an agency's goes out to a commune — its own for a
        border post, a border commune for border work, any commune otherwise.
        """
        rng = self.rng
        history = self.history
        parent_id = history.parent_on(branch.unit.id, day) or branch.unit.parent_id
        parent = self.by_id.get(parent_id)
        if branch.sector == "commune" and parent is not None:
            xa = _bare(history.name_on(parent.id, day, parent.name))
            xom = _bare(history.name_on(branch.unit.id, day, branch.unit.name))
            return _Scene(xa, xom, f"UBND {xa}", parent.border_area)
        host = parent
        if host is not None and host.code in self.tree.subunions:
            host = self.by_id.get(history.parent_on(host.id, day) or host.parent_id)
        coquan = _bare(history.name_on(host.id, day, host.name)) if host else "cơ quan"
        home = self.tree.units.get(self.tree.home.get(branch.code, ""))
        if home is None or not _open_on(home, day):
            border_only = type_code == "bien_gioi_hai_dao"
            choices = [
                c for c in self.communes if _open_on(c, day) and (c.border_area or not border_only)
            ]
            home = choices[int(rng.random() * len(choices))]
        xa = _bare(history.name_on(home.id, day, home.name))
        hamlets = history.children_on(home.id, day)
        if hamlets:
            pick = self.by_id[hamlets[int(rng.random() * len(hamlets))]]
            xom = _bare(history.name_on(pick.id, day, pick.name))
        else:
            xom = xa
        return _Scene(xa, xom, coquan, home.border_area)

    def _title(self, branch: _Branch, type_code: str, day: date, scene: _Scene) -> str:
        """A title from the type's templates (or the sector's own, or the interior's own
        border-work ones) that fits the year and the season."""
        templates = TITLES.get(f"{type_code}@{branch.sector}") or TITLES[type_code]
        if type_code == "bien_gioi_hai_dao" and not scene.border:
            templates = TITLES["bien_gioi_hai_dao@interior"]
        options = [
            text
            for text, first_year, months in templates
            if day.year >= first_year and (months is None or day.month in months)
        ] or [templates[0][0]]
        text = options[int(self.rng.random() * len(options))]
        return _capitalised(
            text.format(
                xa=scene.xa,
                xom=scene.xom,
                coquan=scene.coquan,
                nam=day.year,
                quy=(day.month - 1) // 3 + 1,
                thang=f"{day.month:02d}",
            )
        )

    def _place(self, type_code: str, scene: _Scene) -> str:
        if type_code in OFFICE_TYPES:
            return f"Hội trường {scene.coquan}"
        if type_code == "bien_gioi_hai_dao" and scene.border:
            return f"Khu vực biên giới {scene.xa}"
        options = (
            f"Nhà văn hóa {scene.xom}",
            f"UBND {scene.xa}",
            f"{_capitalised(scene.xom)}, {scene.xa}",
        )
        return options[int(self.rng.random() * len(options))]

    def _status(self, ends_on: date, in_phase: bool) -> ActivityStatus:
        if in_phase:
            table: tuple[tuple[ActivityStatus, int], ...] = STATUS_IN_PHASE
        else:
            age = (self.today - ends_on).days
            table = next(t for limit, t in STATUS_BY_AGE if age < limit)
        statuses = [s for s, _ in table]
        return statuses[self._pick(list(accumulate(w for _, w in table)))]

    def _stamp(self, day: date, lag_days: int) -> datetime:
        """When the server got it: during Vietnamese waking hours, ``lag_days`` after ``day``
        (branches sync once they reach coverage), never later than the eve of ``today``."""
        hour = self.rng.randint(0, 14)  # 07:00–21:59 in Vietnam
        moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            days=lag_days, hours=hour, minutes=self.rng.randint(0, 59)
        )
        return min(moment, self.latest)

    def _details(
        self, branch: _Branch, type_code: str, starts_on: date, ends_on: date, in_phase: bool
    ) -> dict[str, Any]:
        rng = self.rng
        scene = self._where(branch, type_code, starts_on)
        title = self._title(branch, type_code, starts_on, scene)
        place = self._place(type_code, scene)
        high = 20 if branch.sector != "commune" else 40
        members = rng.randint(3, high)
        days = (ends_on - starts_on).days + 1
        quantities = figures.quantities(
            rng, self.types[type_code], title, members, days, starts_on.year
        )
        citizens = figures.citizens(rng, type_code, quantities)
        hours = 0.0
        if type_code not in OFFICE_TYPES:
            hours = members * days * rng.choice((1.5, 2, 2.5, 3, 4, 4, 6, 8))
        status = self._status(ends_on, in_phase)
        created_at = self._stamp(ends_on, rng.randint(0, 4))
        recorded_at = created_at - timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
        self.counters[branch.code] += 1
        number = self.counters[branch.code]
        recorders = self.recorders.get(branch.unit.id, [])
        created_by = recorders[number % len(recorders)] if recorders else None
        reviewer = self.reviewers.get(branch.unit.id)
        reviewed_at = None
        comment = None
        if status in (ActivityStatus.VERIFIED, ActivityStatus.RETURNED):
            reviewed_at = created_at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
            if reviewed_at > self.latest or reviewer is None:
                status, reviewed_at = ActivityStatus.SUBMITTED, None
        if status == ActivityStatus.RETURNED:
            comment = RETURN_COMMENTS[int(rng.random() * len(RETURN_COMMENTS))]
        return {
            "id": uuid.uuid5(NAMESPACE, f"{branch.code}/{number}"),
            "unit_id": branch.unit.id,
            "type_id": self.types[type_code].id,
            "title": title,
            "place": place,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "members_count": members,
            "citizens_served": citizens,
            "volunteer_hours": Decimal(f"{hours:.1f}"),
            "quantities": quantities,
            "description": DESCRIPTIONS[type_code].format(n=members, c=citizens),
            "status": status.value,
            "review_comment": comment,
            "reviewed_by_id": reviewer if reviewed_at else None,
            "reviewed_at": reviewed_at,
            "created_by_id": created_by,
            "created_at": created_at,
            "updated_by_id": reviewer if reviewed_at else created_by,
            "updated_at": reviewed_at or created_at,
            "recorded_at": recorded_at,
            # Entered on the phone as sent up: the submission is the typing and the upload.
            "submitted_at": created_at if status != ActivityStatus.DRAFT else None,
            "submitted_typed_at": recorded_at if status != ActivityStatus.DRAFT else None,
            "version": 1,
        }
