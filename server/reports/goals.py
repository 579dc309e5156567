"""The tables of nominations for commendation and of targets against results: specs as in
:mod:`server.reports.tables` (which the pages and exports read them through)."""

from __future__ import annotations

from typing import Any

from ..formatting import vn_date
from ..i18n import N_, pick
from ..models import NOMINATION_KINDS, UNIT_KIND_LABELS
from .columns import Cell, Column, Listing, Spec
from .targets import Progress

# -- nominations and targets --------------------------------------------------------------

NOMINATIONS = Spec(
    "commendations",
    "Đề nghị biểu dương",
    (
        Column(
            "Loại",
            lambda n: pick(NOMINATION_KINDS[n.kind]),
            N_("Loại"),
            lambda ns: f"{len(ns)} đề nghị",
            sheet=lambda n: NOMINATION_KINDS[n.kind][0],
        ),
        Column("Cá nhân / mô hình", lambda n: n.name, N_("Cá nhân / mô hình")),
        Column("Đơn vị đề nghị", lambda n: n.unit.name, N_("Đơn vị")),
        Column("Thành tích", lambda n: n.reason, N_("Thành tích"), css="text"),
        Column(
            "Hoạt động minh chứng",
            lambda n: "; ".join(f"{vn_date(a.starts_on)} {a.title}" for a in n.activities),
            N_("Hoạt động minh chứng"),
            show="evidence",
        ),
    ),
    empty=N_("Chưa có đề nghị nào trong kỳ này."),
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
