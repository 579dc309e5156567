"""One table spec per report, shared by its page and its exports.

A spec names a report's columns once: each column's heading in the export, its heading
on the page (or none: the export carries more than fits on a screen), how its cell is
read from a row and from the report's total, and how the page shows it when a link or
a list says more than the value. The page renders a :class:`Listing` with the macro of
``templates/reports/_table.html``; the export turns the same listing into a
:class:`~server.reports.export.Table`. So a column added to a report is added to both,
and the two can never disagree on what a figure is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..formatting import vn_date, vn_datetime
from ..models import NOMINATION_KINDS, STATUS_LABELS, UNIT_KIND_LABELS, Activity, Unit
from .columns import Cell, Column, Listing, Spec, quantity_columns
from .completeness import BranchState, Completeness
from .service import Figures, Overview
from .targets import Progress


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
        column("Số hoạt động", "Hoạt động", "activities"),
        column("Đã xác nhận", "Đã xác nhận" if verified_on_page else None, "verified"),
        column("Lượt đoàn viên tham gia", "Đoàn viên", "members"),
        column("Người dân được phục vụ", "Người dân", "citizens"),
        column("Giờ tình nguyện", "Giờ", "hours"),
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
            "Đơn vị", lambda r: r.label, "Đơn vị", _fixed("Tổng cộng"), show="unit", sort="name"
        ),
        *_figures(lambda r: r.figures),
        Column(
            "Tỷ trọng số hoạt động (%)",
            lambda r: r.share,
            "Tỷ trọng",
            lambda t: 100 if t.activities else None,
            num=True,
            show="percent",
            sort="share",
            export=False,
        ),
        Column(
            "Tỷ lệ đã xác nhận (%)",
            lambda r: r.verified_rate,
            "Tỷ lệ xác nhận",
            lambda t: percent(t.verified, t.activities),
            num=True,
            show="percent",
            sort="verified_rate",
            export=False,
        ),
        Column(
            "Hoạt động chưa có ảnh minh chứng",
            lambda r: r.figures.unproven,
            "Chưa có ảnh",
            lambda t: t.unproven,
            num=True,
            sort="unproven",
        ),
        Column(
            "Tỷ lệ chưa có ảnh minh chứng (%)",
            lambda r: r.unproven_rate,
            "Tỷ lệ chưa có ảnh",
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
        Column("Trụ cột", lambda r: r.label, "Trụ cột", _fixed("Tổng cộng")),
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
        Column("Loại hoạt động", lambda r: r.type.name_vi, "Loại hoạt động", show="type"),
        *_figures(lambda r: r.figures, verified_on_page=False),
        Column(
            "Số liệu riêng",
            _quantities,
            "Số liệu riêng",
            show="quantities",
            spread=quantity_columns(lambda r: r.quantities),
        ),
    ),
    empty="Chưa có hoạt động nào trong kỳ này.",
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
    return Listing(PILLARS, [Line(p.name_vi, f) for p, f in ov.by_pillar], ov.total)


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
            "Ngày",
            _fixed("Tổng cộng"),
            css="nowrap",
            sheet=lambda a: a.starts_on,
        ),
        Column("Đơn vị", lambda a: a.unit.name),
        Column("Loại hoạt động", lambda a: a.type.name_vi),
        Column(
            "Tên hoạt động",
            lambda a: a.title,
            "Hoạt động",
            lambda t: f"{t.activities} hoạt động",
            show="activity",
        ),
        Column("Địa điểm", lambda a: a.place),
        Column("Đoàn viên", lambda a: a.members_count, "Đoàn viên", lambda t: t.members, num=True),
        Column(
            "Người dân", lambda a: a.citizens_served, "Người dân", lambda t: t.citizens, num=True
        ),
        Column("Giờ tình nguyện", lambda a: a.volunteer_hours, "Giờ", lambda t: t.hours, num=True),
        Column("Trạng thái", lambda a: STATUS_LABELS[a.status][0], "Trạng thái"),
        Column(
            "Ghi trên điện thoại lúc",
            lambda a: vn_datetime(a.recorded_at),
            sheet=lambda a: a.recorded_at,
        ),
        Column("Số liệu riêng", str, spread=quantity_columns(_activity_amounts)),
    ),
    empty="Chưa có hoạt động nào trong kỳ này.",
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
        "Ảnh minh chứng",
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
            "Chi đoàn",
            lambda c: f"{c.reported}/{c.expected} chi đoàn đã báo cáo, {c.on_time} đúng hạn",
            show="branch",
            sort="name",
        ),
        # Branch names repeat across communes ("Chi đoàn thôn 1"): the parent tells them apart.
        Column(
            "Đơn vị cấp trên",
            lambda b: b.parent.name if b.parent else "",
            "Đơn vị cấp trên",
            sort="parent",
            export=False,
        ),
        Column(
            "Số hoạt động",
            lambda b: b.activities,
            "Hoạt động",
            lambda c: sum(b.activities for b in c.branches),
            num=True,
            sort="activities",
        ),
        Column(
            "Tình trạng",
            lambda b: b.label,
            "Tình trạng",
            lambda c: f"Hạn: {vn_date(c.due)}",
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
            lambda b: vn_datetime(b.last_sync),
            "Điện thoại đồng bộ lần cuối",
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
    empty="Không có chi đoàn nào trong kỳ này.",
    row_class=lambda b: f"state-{b.state}",
)


def completeness(c: Completeness) -> Listing:
    rows: list[BranchState] = c.branches
    return Listing(COMPLETENESS, rows, c)


# -- nominations and targets --------------------------------------------------------------

NOMINATIONS = Spec(
    "commendations",
    "Đề nghị biểu dương",
    (
        Column(
            "Loại",
            lambda n: NOMINATION_KINDS[n.kind][0],
            "Loại",
            lambda ns: f"{len(ns)} đề nghị",
        ),
        Column("Cá nhân / mô hình", lambda n: n.name, "Cá nhân / mô hình"),
        Column("Đơn vị đề nghị", lambda n: n.unit.name, "Đơn vị"),
        Column("Thành tích", lambda n: n.reason, "Thành tích", css="text"),
        Column(
            "Hoạt động minh chứng",
            lambda n: "; ".join(f"{vn_date(a.starts_on)} {a.title}" for a in n.activities),
            "Hoạt động minh chứng",
            show="evidence",
        ),
    ),
    empty="Chưa có đề nghị nào trong kỳ này.",
)


def nominations(items: list[Any]) -> Listing:
    return Listing(NOMINATIONS, items, items)


def _target(row: tuple[Progress, Any]) -> str:
    pr, unit_row = row
    if unit_row is not None:
        return f"— {unit_row[0].name}"
    target = pr.target
    what = f"{target.activities} hoạt động " + (pr.type.name_vi if pr.type else "(mọi loại)")
    if target.each_kind:
        what = f"Mỗi {UNIT_KIND_LABELS[target.each_kind][0].lower()}: {what}"
    if pr.is_share:
        what = f"{what} — Phần của {pr.unit.name}"
    return what


def _of_target(read: Cell) -> Cell:
    """A cell of a target's own row, blank on the rows of its units."""
    return lambda row: read(row[0]) if row[1] is None else None


# The page shows targets as cards, not as a table: this spec is the export's.
TARGETS = Spec(
    "targets",
    "Chỉ tiêu và tiến độ",
    (
        Column(
            "Chỉ tiêu",
            _target,
            # Targets of different kinds do not add up: the totals row counts them.
            total=lambda ps: f"Tổng cộng: {len(ps)} chỉ tiêu ({sum(p.met for p in ps)} đã đạt)",
        ),
        Column("Do đơn vị đặt", _of_target(lambda p: p.set_at_unit.name)),
        Column(
            "Từ ngày",
            _of_target(lambda p: vn_date(p.target.starts_on)),
            sheet=_of_target(lambda p: p.target.starts_on),
        ),
        Column(
            "Đến ngày",
            _of_target(lambda p: vn_date(p.target.ends_on)),
            sheet=_of_target(lambda p: p.target.ends_on),
        ),
        Column("Đã đạt", lambda row: row[0].done if row[1] is None else row[1][1]),
        Column("Cần đạt", lambda row: row[0].goal if row[1] is None else row[0].target.activities),
        Column("Tỷ lệ", _of_target(lambda p: f"{p.percent}%")),
    ),
)


def targets(progress: list[Progress]) -> Listing:
    rows: list[tuple[Progress, Any]] = []
    for pr in progress:
        rows.append((pr, None))
        rows.extend((pr, unit_row) for unit_row in pr.units)
    return Listing(TARGETS, rows, progress)
