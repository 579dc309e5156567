"""The review queue as a report sheet, by the same rules as every report's export.

The queue has no period of its own: the sheet's period is the span of the activities it
lists (by their dates), and a line says which filters made it and when the list was
taken, since the queue changes as reviewers decide (decision 173).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..formatting import vn_date, vn_datetime
from ..models import STATUS_LABELS, Activity, ActivityStatus, ActivityType, Unit, User
from ..models.types import utcnow
from ..reports import quantities
from ..reports.export import Table
from ..reports.letterhead import exported_by, letterhead_of

HEADERS = [
    "Ngày",
    "Đơn vị",
    "Loại hoạt động",
    "Tên hoạt động",
    "Đoàn viên",
    "Người dân",
    "Giờ tình nguyện",
    "Ghi trên điện thoại lúc",
    "Đến máy chủ lúc",
]


def _amounts(a: Activity) -> list[tuple[dict, object]]:
    given = a.quantities or {}
    return [(spec, given.get(spec["code"])) for spec in a.type.quantities or []]


def span_of(items: Sequence[Activity]) -> str:
    if not items:
        return f"không có hoạt động nào (đến {vn_date(utcnow())})"
    first = min(a.starts_on for a in items)
    last = max(a.starts_on for a in items)
    return f"hoạt động từ {vn_date(first)} đến {vn_date(last)}"


def review_table(
    items: Sequence[Activity],
    *,
    status: str,
    unit: Unit,
    type_: ActivityType | None,
    q: str,
    user: User,
    cut: bool,
) -> Table:
    """The sheet of the queue as filtered; ``cut``: the list stopped at its limit."""
    extra = quantities.occurring(items, _amounts)
    rows = [
        [
            a.starts_on,
            a.unit.name,
            a.type.name_vi,
            a.title,
            a.members_count,
            a.citizens_served,
            a.volunteer_hours,
            a.recorded_at,
            a.created_at,
            *(read(a) for _h, read, _t in extra),
        ]
        for a in items
    ]
    counted = f"{len(items)} hoạt động"
    totals = [
        f"{counted} đầu tiên — còn nữa: hãy lọc theo đơn vị hoặc loại" if cut else counted,
        None,
        None,
        None,
        sum(a.members_count for a in items),
        sum(a.citizens_served for a in items),
        sum((a.volunteer_hours for a in items), Decimal(0)),
        None,
        None,
        *(total(None) for _h, _r, total in extra),
    ]
    status_label = STATUS_LABELS[ActivityStatus(status)][0]
    filters = [f"Trạng thái: {status_label}", f"Đơn vị: {unit.name}"]
    if type_ is not None:
        filters.append(f"Loại: {type_.name_vi}")
    if q:
        filters.append(f"Tìm: “{q}”")
    return Table(
        "Hoạt động " + status_label.lower(),
        unit.name,
        span_of(items),
        HEADERS + [h for h, _r, _t in extra],
        rows,
        totals,
        notes=[
            exported_by(user),
            "; ".join(filters) + f" — danh sách lúc {vn_datetime(utcnow())}",
        ],
        letterhead=letterhead_of(user.unit),
    )
