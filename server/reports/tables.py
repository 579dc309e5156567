"""One table spec per report, shared by its page and its exports.

A spec names a report's columns once: each column's heading in the export, its heading
on the page (or none: the export carries more than fits on a screen), how its cell is
read from a row and from the report's total, and how the page shows it when a link or
a list says more than the value. The page renders a :class:`Listing` with the macro of
``templates/reports/_table.html``; the export turns the same listing into a
:class:`~server.reports.export.Table`. So a column added to a report is added to both,
and the two can never disagree on what a figure is.

The exports are formal documents and stay Vietnamese whatever the page's language: a
column's ``header`` is a plain Vietnamese string; its ``page`` heading and a spec's
``empty`` are marked ``N_`` and translated by the page's macro; a cell the page shows in
its own language (a status, a state, a pillar) has a ``sheet`` reader that keeps the
Vietnamese for the exports (decision 185).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..formatting import moment, vn_date, vn_datetime
from ..i18n import N_, pick
from ..models import STATUS_LABELS, Activity, Unit
from .columns import Cell, Column, Listing, Spec, quantity_columns
from .completeness import BranchState, Completeness
from .service import Figures, Overview


def _activity_amounts(a: Activity) -> list[tuple[dict, Any]]:
    given = a.quantities or {}
    return [(spec, given.get(spec["code"])) for spec in a.type.quantities or []]


def _fixed(text: str) -> Cell:
    return lambda _: text


def _figures(get: Cell, *, verified_on_page: bool = True) -> tuple[Column, ...]:
    """The five figures of a row (``get`` reads its :class:`Figures`); the totals row's
    cells are read from a :class:`Figures` too."""

    def column(header: str, page: str | None, name: str) -> Column:
        return Column(
            header,
            lambda r: getattr(get(r), name),
            page,
            lambda t: getattr(t, name),
            num=True,
            sort=name,
        )

    return (
        column("Số hoạt động", N_("Hoạt động"), "activities"),
        column("Đã xác nhận", N_("Đã xác nhận") if verified_on_page else None, "verified"),
        column("Lượt đoàn viên tham gia", N_("Đoàn viên"), "members"),
        column("Người dân được phục vụ", N_("Người dân"), "citizens"),
        column("Giờ tình nguyện", N_("Giờ"), "hours"),
    )


def _inactive(r: Any) -> str:
    return "" if r.figures.activities else "inactive"


# -- the overview's tables --------------------------------------------------------------


def percent(part: float, whole: float) -> int | None:
    """A whole percentage; None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


@dataclass
class Line:
    """A labelled row of figures: a unit below (linked on the page) or a pillar."""

    label: str
    figures: Figures
    unit: Unit | None = None
    #: Its share of the whole's activities, in per cent.
    share: int | None = None
    #: The label's English, where it has one (a pillar's name).
    label_en: str | None = None

    @property
    def shown(self) -> str:
        """The label in the page's language."""
        return pick((self.label, self.label_en or self.label))

    @property
    def verified_rate(self) -> int | None:
        """Of its activities, the per cent verified by a reviewer."""
        return percent(self.figures.verified, self.figures.activities)

    @property
    def unproven_rate(self) -> int | None:
        """Of its activities, the per cent without an evidence photo."""
        return percent(self.figures.unproven, self.figures.activities)


UNITS = Spec(
    "units",
    "Tổng hợp theo đơn vị",
    (
        Column(
            "Đơn vị",
            lambda r: r.label,
            N_("Đơn vị"),
            _fixed(N_("Tổng cộng")),
            show="unit",
            sort="name",
        ),
        *_figures(lambda r: r.figures),
        Column(
            "Tỷ trọng số hoạt động (%)",
            lambda r: r.share,
            N_("Tỷ trọng"),
            lambda t: 100 if t.activities else None,
            num=True,
            show="percent",
            sort="share",
            export=False,
        ),
        Column(
            "Tỷ lệ đã xác nhận (%)",
            lambda r: r.verified_rate,
            N_("Tỷ lệ xác nhận"),
            lambda t: percent(t.verified, t.activities),
            num=True,
            show="percent",
            sort="verified_rate",
            export=False,
        ),
        Column(
            "Hoạt động chưa có ảnh minh chứng",
            lambda r: r.figures.unproven,
            N_("Chưa có ảnh"),
            lambda t: t.unproven,
            num=True,
            sort="unproven",
        ),
        Column(
            "Tỷ lệ chưa có ảnh minh chứng (%)",
            lambda r: r.unproven_rate,
            N_("Tỷ lệ chưa có ảnh"),
            lambda t: percent(t.unproven, t.activities),
            num=True,
            show="percent",
            sort="unproven_rate",
            export=False,
        ),
    ),
    page_total=True,
    row_class=_inactive,
)

PILLARS = Spec(
    "pillars",
    "Tổng hợp theo trụ cột “3 trách nhiệm”",
    (
        Column(
            "Trụ cột",
            lambda r: r.shown,
            N_("Trụ cột"),
            _fixed(N_("Tổng cộng")),
            sheet=lambda r: r.label,
        ),
        *_figures(lambda r: r.figures),
    ),
    page_total=True,
    row_class=_inactive,
)


def _quantities(r: Any) -> str:
    return "; ".join(
        f"{spec['label_vi']}: {amount:,} {spec.get('unit_vi', '')}".strip()
        for spec, amount in r.quantities
        if amount
    )


TYPES = Spec(
    "types",
    "Tổng hợp theo loại hoạt động",
    (
        Column("Trụ cột", lambda r: r.type.pillar.name_vi, total=_fixed("Tổng cộng")),
        Column("Loại hoạt động", lambda r: r.type.name_vi, N_("Loại hoạt động"), show="type"),
        *_figures(lambda r: r.figures, verified_on_page=False),
        Column(
            "Số liệu riêng",
            _quantities,
            N_("Số liệu riêng"),
            show="quantities",
            spread=quantity_columns(lambda r: r.quantities),
        ),
    ),
    empty=N_("Chưa có hoạt động nào trong kỳ này."),
)


def direct(ov: Overview) -> Figures | None:
    """What the unit recorded itself, outside its children, when there is any."""
    rest = Figures()
    for row in ov.children:
        rest = rest + row.figures
    diff = Figures(
        ov.total.activities - rest.activities,
        ov.total.members - rest.members,
        ov.total.citizens - rest.citizens,
        ov.total.hours - rest.hours,
        ov.total.verified - rest.verified,
        ov.total.unproven - rest.unproven,
    )
    return diff if ov.children and diff.activities else None


def units(ov: Overview, order: Callable[[list[Line]], list[Line]] | None = None) -> Listing:
    """The units below, in ``order`` when given (the unit's own line stays last)."""
    whole = ov.total.activities
    rows = [
        Line(r.unit.name, r.figures, r.unit, percent(r.figures.activities, whole))
        for r in ov.children
    ]
    if order is not None:
        rows = order(rows)
    own = direct(ov)
    if own is not None:
        rows.append(Line(f"{ov.unit.name} (trực tiếp)", own, None, percent(own.activities, whole)))
    return Listing(UNITS, rows, ov.total)


def pillars(ov: Overview) -> Listing:
    rows = [Line(p.name_vi, f, label_en=p.name_en) for p, f in ov.by_pillar]
    return Listing(PILLARS, rows, ov.total)


def types(ov: Overview) -> Listing:
    return Listing(TYPES, ov.by_type, ov.total)


# -- a branch's activities ----------------------------------------------------------------

ACTIVITIES = Spec(
    "activities",
    "Danh sách hoạt động",
    (
        Column(
            "Ngày",
            lambda a: vn_date(a.starts_on),
            N_("Ngày"),
            _fixed("Tổng cộng"),
            css="nowrap",
            sheet=lambda a: a.starts_on,
        ),
        Column("Đơn vị", lambda a: a.unit.name),
        Column("Loại hoạt động", lambda a: a.type.name_vi),
        Column(
            "Tên hoạt động",
            lambda a: a.title,
            N_("Hoạt động"),
            lambda t: f"{t.activities} hoạt động",
            show="activity",
        ),
        Column("Địa điểm", lambda a: a.place),
        Column(
            "Đoàn viên", lambda a: a.members_count, N_("Đoàn viên"), lambda t: t.members, num=True
        ),
        Column(
            "Người dân",
            lambda a: a.citizens_served,
            N_("Người dân"),
            lambda t: t.citizens,
            num=True,
        ),
        Column(
            "Giờ tình nguyện", lambda a: a.volunteer_hours, N_("Giờ"), lambda t: t.hours, num=True
        ),
        Column(
            "Trạng thái",
            lambda a: pick(STATUS_LABELS[a.status]),
            N_("Trạng thái"),
            sheet=lambda a: STATUS_LABELS[a.status][0],
        ),
        Column(
            "Ghi trên điện thoại lúc",
            lambda a: vn_datetime(a.recorded_at),
            sheet=lambda a: a.recorded_at,
        ),
        Column("Số liệu riêng", str, spread=quantity_columns(_activity_amounts)),
    ),
    empty=N_("Chưa có hoạt động nào trong kỳ này."),
)


def activities(items: list[Activity], photos: dict[Any, int] | None = None) -> Listing:
    """A branch's activities; with ``photos`` (stored photos by activity id, see
    :func:`server.reports.proof.photo_counts`), a column of them, and the rows without
    any marked (decision 189)."""
    total = Figures()
    for a in items:
        total = total + Figures(1, a.members_count, a.citizens_served, a.volunteer_hours)
    if photos is None:
        return Listing(ACTIVITIES, items, total)
    count: Cell = lambda a: photos.get(a.id, 0)  # noqa: E731
    column = Column(
        "Số ảnh minh chứng",
        count,
        N_("Ảnh minh chứng"),
        lambda _t: sum(photos.get(a.id, 0) for a in items),
        num=True,
    )
    *before, last = ACTIVITIES.columns
    spec = replace(
        ACTIVITIES,
        columns=(*before, column, last),
        row_class=lambda a: "" if count(a) else "no-evidence",
    )
    return Listing(spec, items, total)


# -- who has reported ---------------------------------------------------------------------

COMPLETENESS = Spec(
    "completeness",
    "Tình hình báo cáo",
    (
        Column(
            "Chi đoàn",
            lambda b: b.unit.name,
            N_("Chi đoàn"),
            lambda c: f"{c.reported}/{c.expected} chi đoàn đã báo cáo, {c.on_time} đúng hạn",
            show="branch",
            sort="name",
        ),
        # Branch names repeat across communes ("Chi đoàn thôn 1"): the parent tells them apart.
        Column(
            "Đơn vị cấp trên",
            lambda b: b.parent.name if b.parent else "",
            N_("Đơn vị cấp trên"),
            sort="parent",
        ),
        Column(
            "Số hoạt động",
            lambda b: b.activities,
            N_("Hoạt động"),
            lambda c: sum(b.activities for b in c.branches),
            num=True,
            sort="activities",
        ),
        Column(
            "Tình trạng",
            lambda b: b.shown(),
            N_("Tình trạng"),
            lambda c: f"Hạn: {vn_date(c.due)}",
            sheet=lambda b: b.label,
            sort="state",
        ),
        Column(
            "Ghi trên điện thoại sớm nhất",
            lambda b: vn_datetime(b.first_typed),
            sheet=lambda b: b.first_typed,
        ),
        Column(
            "Đến máy chủ sớm nhất",
            lambda b: vn_datetime(b.first_received),
            sheet=lambda b: b.first_received,
        ),
        Column(
            "Điện thoại đồng bộ lần cuối",
            # On the page in its language (the export's cell is the time itself).
            lambda b: moment(b.last_sync),
            N_("Điện thoại đồng bộ lần cuối"),
            css="nowrap",
            sheet=lambda b: b.last_sync,
            sort="sync",
        ),
        Column(
            "Mục đang chờ gửi",
            lambda b: b.pending,
            total=lambda c: sum(b.pending for b in c.branches),
        ),
    ),
    empty=N_("Không có chi đoàn nào trong kỳ này."),
    row_class=lambda b: f"state-{b.state}",
)


def completeness(c: Completeness) -> Listing:
    rows: list[BranchState] = c.branches
    return Listing(COMPLETENESS, rows, c)


# The nominations' and targets' tables (server/reports/goals.py), read through this module.
from .goals import NOMINATIONS, TARGETS, nominations, targets  # noqa: E402, F401
