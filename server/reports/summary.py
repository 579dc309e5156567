"""What a summary report ("báo cáo sơ kết / tổng kết") says, from the report services.

Every figure comes from the same services as the report page and its exports —
:func:`~server.reports.service.overview` and the table specs of
:mod:`server.reports.tables`, :func:`~server.reports.completeness.completeness`,
:func:`~server.reports.targets.progress_for`, :func:`~server.reports.service.nominations_of`
— for the same unit, period and reader's scope, so the document can never disagree with
the page. The one thing the page does not list, the notable activities, is read with the
page's own rule for which activities count (:func:`~server.reports.service.rolled_up`,
:func:`~server.reports.service.limited`), limited to a handful.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import joinedload

from ..models import Activity, ActivityStatus, Nomination, Unit, User
from . import tables
from .completeness import Completeness, completeness
from .letterhead import Letterhead, exported_by, letterhead_of
from .periods import Period
from .service import Overview, limited, nominations_of, overview, rolled_up
from .source import reader
from .targets import Progress, progress_for

#: Notable activities named in the report: the verified ones with most participants.
NOTABLE = 5


@dataclass
class Summary:
    unit: Unit
    period: Period
    #: "Sơ kết" (a review along the way) or "Tổng kết" (the final review).
    kind: str
    #: "giai đoạn 2015 – 2017", "năm 2016", "quý I/2026"…
    span: str
    letterhead: Letterhead
    exported: str
    overview: Overview
    units: tables.Listing
    pillars: tables.Listing
    types: tables.Listing
    completeness: Completeness
    progress: list[Progress]
    notable: list[Activity]
    nominations: list[Nomination]


def span_of(period: Period) -> str:
    """How the title names the period."""
    start, end = period.starts_on, period.ends_on
    whole_years = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    if period.kind == "phase" or (period.kind == "range" and whole_years):
        if start.year == end.year:
            return f"năm {start.year}"
        return f"giai đoạn {start.year} – {end.year}"
    if period.kind in ("year", "quarter", "month"):
        return period.label[0].lower() + period.label[1:]
    return f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def kind_of(period: Period, today: date) -> str:
    """ "Tổng kết" for a phase or whole years that have ended; "Sơ kết" otherwise."""
    span = span_of(period)
    final = span.startswith(("giai đoạn", "năm")) and period.ends_on < today
    return "Tổng kết" if final else "Sơ kết"


def notable(unit: Unit, period: Period, within: int | None) -> list[Activity]:
    """The verified activities of the period with most members and citizens taking part."""
    query = limited(
        rolled_up([unit.id], period, Activity).where(
            Activity.status == ActivityStatus.VERIFIED.value
        ),
        Activity.unit_id,
        Activity.starts_on,
        within,
        skip=unit.id,
    )
    query = (
        query.options(joinedload(Activity.unit), joinedload(Activity.type))
        .order_by(
            (Activity.members_count + Activity.citizens_served).desc(),
            Activity.starts_on,
            Activity.id,
        )
        .limit(NOTABLE)
    )
    return list(reader().scalars(query).unique())


def summarise(unit: Unit, period: Period, today: date, user: User) -> Summary:
    """The report of ``unit`` for ``period`` as ``user`` may read it (their unit's scope)."""
    within = user.unit_id
    ov = overview(unit, period, within=within)
    return Summary(
        unit=unit,
        period=period,
        kind=kind_of(period, today),
        span=span_of(period),
        letterhead=letterhead_of(user.unit),
        exported=exported_by(user),
        overview=ov,
        units=tables.units(ov),
        pillars=tables.pillars(ov),
        types=tables.types(ov),
        completeness=completeness(unit, period, today, within=within),
        progress=progress_for(unit, period, within=within),
        notable=notable(unit, period, within),
        nominations=nominations_of(unit, period),
    )
