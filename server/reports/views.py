"""Report pages: a unit's figures for a period, drill-down, charts, Excel and CSV.

The unit in the URL must be in the reader's subtree; anything else is "not found", for
the page and for every export alike.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth.session import login_required
from ..extensions import db
from ..formatting import VIETNAM, vn_date, vn_datetime
from ..forms import flash_errors
from ..models import (
    NOMINATION_KINDS,
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    Activity,
    ActivityType,
    Nomination,
    Phase,
    ReportingSchedule,
    Target,
    Unit,
    UnitClosure,
    UnitKind,
)
from ..models.types import utcnow
from ..policy import can_read_reports_of, can_review, reads_reports, sets_schedules
from ..units.service import ancestor_ids, subtree_ids
from . import periods
from .completeness import Completeness, completeness, schedule_for
from .export import Table, download
from .forms import NominationForm, ScheduleForm, TargetForm
from .periods import Period, PeriodError
from .service import Figures, Overview, activities_of, held_on_activity_date, overview
from .targets import progress_for
from .totals import refresh

bp = Blueprint("reports", __name__, url_prefix="/reports")
#: Activities offered as evidence on the nomination form.
CANDIDATES = 300

FIGURE_HEADERS = [
    "Số hoạt động",
    "Đã xác nhận",
    "Lượt đoàn viên tham gia",
    "Người dân được phục vụ",
    "Giờ tình nguyện",
]


@bp.before_request
@login_required
def _readers_only():
    if not reads_reports(g.user):
        abort(404)


def _today() -> date:
    return utcnow().astimezone(VIETNAM).date()


def _phases() -> dict[str, tuple[str, date, date]]:
    return {
        p.code: (p.name_vi, p.starts_on, p.ends_on)
        for p in db.session.scalars(select(Phase).order_by(Phase.starts_on))
    }


def _period() -> tuple[Period | None, str | None]:
    """The period asked for: ``p``, or a custom range from ``from``/``to``."""
    start, end = request.args.get("from", ""), request.args.get("to", "")
    text = f"{start}..{end}" if start and end else request.args.get("p")
    try:
        return periods.parse(text, today=_today(), phases=_phases()), None
    except PeriodError as exc:
        return None, str(exc)


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_read_reports_of(g.user, unit_id):
        abort(404)
    return unit


@bp.get("/activity/<uuid:activity_id>")
def activity(activity_id: uuid.UUID):
    """One activity for any report reader whose scope held it on its date (decision 44):
    the drill-down's last step, read-only; reviewers also get the way to decide on it."""
    c = UnitClosure
    a = db.session.scalars(
        select(Activity)
        .join(c, and_(held_on_activity_date(c), c.ancestor_id == g.user.unit_id))
        .options(joinedload(Activity.unit), joinedload(Activity.type))
        .where(
            Activity.id == activity_id,
            Activity.deleted_at.is_(None),
            Activity.unit_id.in_(subtree_ids(g.user.unit_id)),
        )
    ).one_or_none()
    if a is None:
        abort(404)
    return render_template(
        "reports/activity.html",
        a=a,
        statuses=STATUS_LABELS,
        reviews=can_review(g.user, a.unit_id),
    )


def _trail(unit: Unit) -> list[Unit]:
    """The units from the reader's own unit down to this one, for the breadcrumb."""
    ids = list(db.session.scalars(ancestor_ids(unit.id)))
    mine = ids.index(g.user.unit_id) if g.user.unit_id in ids else len(ids) - 1
    chain = list(reversed(ids[: mine + 1]))
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(chain)))}
    return [units[i] for i in chain]


def _trend_period(period: Period) -> Period:
    """A trend needs months: the period itself when it spans three or more, else the
    twelve months up to its end."""
    if len(period.months()) >= 3:
        return period
    end = period.ends_on
    start_year, start_month = (end.year - 1, end.month + 1) if end.month < 12 else (end.year, 1)
    return periods.span(date(start_year, start_month, 1), end)


def _change(now: int | Decimal, before: int | Decimal) -> str:
    if not before:
        return "—"
    pct = (Decimal(now) - Decimal(before)) * 100 / Decimal(before)
    return f"{pct:+.0f}%"


def _bars(values: list[tuple[str, float]], width: int = 640, height: int = 180) -> dict:
    """Geometry of a bar chart drawn as inline SVG (no script, nothing inline to allow)."""
    top = max((v for _, v in values), default=0) or 1
    n = max(1, len(values))
    slot = width / n
    bars = []
    for i, (label, v) in enumerate(values):
        h = round((height - 30) * v / top, 1)
        bars.append(
            {
                "x": round(i * slot + slot * 0.15, 1),
                "y": round(height - 20 - h, 1),
                "w": round(slot * 0.7, 1),
                "h": h,
                "label": label,
                "value": v,
                "cx": round(i * slot + slot / 2, 1),
            }
        )
    return {"width": width, "height": height, "bars": bars, "base": height - 20}


def _hbars(values: list[tuple[str, float]], width: int = 640, row: int = 26) -> dict:
    """A horizontal bar chart (long labels, e.g. activity types) as SVG geometry."""
    top = max((v for _, v in values), default=0) or 1
    label_w = 260
    bars = [
        {
            "y": i * row,
            "w": round((width - label_w - 50) * v / top, 1),
            "label": label if len(label) <= 38 else label[:37] + "…",
            "full": label,
            "value": v,
        }
        for i, (label, v) in enumerate(values)
    ]
    return {"width": width, "height": max(row, row * len(bars)), "bars": bars, "x0": label_w}


@bp.get("/")
def index():
    return redirect(url_for("reports.show", unit_id=g.user.unit_id, **request.args))


@bp.get("/<int:unit_id>")
def show(unit_id: int):
    unit = _unit_or_404(unit_id)
    period, error = _period()
    choices = periods.choices(_today(), _phases())
    if period is None:
        return render_template(
            "reports/show.html", unit=unit, trail=_trail(unit), error=error, choices=choices
        ), 400
    refresh(db.session())  # commits: ``unit`` reloads itself on next use
    ov = overview(unit, period, _trend_period(period), within=g.user.unit_id)
    trend = _bars([(m[5:] + "/" + m[2:4], float(f.activities)) for m, f in ov.trend])
    pillars = _bars(
        [(p.name_vi.replace("Trách nhiệm với ", ""), float(f.activities)) for p, f in ov.by_pillar],
        width=420,
    )
    types = _hbars([(r.type.name_vi, float(r.figures.activities)) for r in ov.by_type])
    activities = activities_of(unit, period, within=g.user.unit_id) if not ov.children else []
    return render_template(
        "reports/show.html",
        unit=unit,
        trail=_trail(unit),
        ov=ov,
        period=period,
        previous=period.previous(),
        choices=choices,
        change=_change,
        trend=trend,
        pillars=pillars,
        types=types,
        direct=_direct(ov),
        activities=activities,
        statuses=STATUS_LABELS,
        error=None,
    )


def _direct(ov: Overview) -> Figures | None:
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
    )
    return diff if ov.children and diff.activities else None


def _figures(f: Figures) -> list[Any]:
    return [f.activities, f.verified, f.members, f.citizens, f.hours]


def _units_table(ov: Overview) -> Table:
    rows = [[r.unit.name, *_figures(r.figures)] for r in ov.children]
    direct = _direct(ov)
    if direct is not None:
        rows.append([f"{ov.unit.name} (trực tiếp)", *_figures(direct)])
    return Table(
        "Tổng hợp theo đơn vị",
        ov.unit.name,
        ov.period.label,
        ["Đơn vị", *FIGURE_HEADERS],
        rows,
        ["Tổng cộng", *_figures(ov.total)],
    )


def _pillars_table(ov: Overview) -> Table:
    return Table(
        "Tổng hợp theo trụ cột “3 trách nhiệm”",
        ov.unit.name,
        ov.period.label,
        ["Trụ cột", *FIGURE_HEADERS],
        [[pillar.name_vi, *_figures(f)] for pillar, f in ov.by_pillar],
        ["Tổng cộng", *_figures(ov.total)],
    )


def _types_table(ov: Overview) -> Table:
    rows = []
    for r in ov.by_type:
        quantities = "; ".join(
            f"{spec['label_vi']}: {amount:,} {spec.get('unit_vi', '')}".strip()
            for spec, amount in r.quantities
            if amount
        )
        rows.append([r.type.pillar.name_vi, r.type.name_vi, *_figures(r.figures), quantities])
    return Table(
        "Tổng hợp theo loại hoạt động",
        ov.unit.name,
        ov.period.label,
        ["Trụ cột", "Loại hoạt động", *FIGURE_HEADERS, "Số liệu riêng"],
        rows,
        ["Tổng cộng", "", *_figures(ov.total), ""],
    )


def _activities_table(unit: Unit, period: Period) -> Table:
    items = activities_of(unit, period, within=g.user.unit_id)
    rows = [
        [
            vn_date(a.starts_on),
            a.unit.name,
            a.type.name_vi,
            a.title,
            a.place,
            a.members_count,
            a.citizens_served,
            a.volunteer_hours,
            STATUS_LABELS[a.status][0],
            vn_datetime(a.recorded_at),
        ]
        for a in items
    ]
    total = Figures()
    for a in items:
        total = total + Figures(1, a.members_count, a.citizens_served, a.volunteer_hours)
    return Table(
        "Danh sách hoạt động",
        unit.name,
        period.label,
        [
            "Ngày",
            "Đơn vị",
            "Loại hoạt động",
            "Tên hoạt động",
            "Địa điểm",
            "Đoàn viên",
            "Người dân",
            "Giờ tình nguyện",
            "Trạng thái",
            "Ghi trên điện thoại lúc",
        ],
        rows,
        [
            "Tổng cộng",
            "",
            "",
            f"{total.activities} hoạt động",
            "",
            total.members,
            total.citizens,
            total.hours,
            "",
            "",
        ],
    )


def _completeness_table(c: Completeness) -> Table:
    rows = [
        [
            b.unit.name,
            b.activities,
            b.label,
            vn_datetime(b.first_typed),
            vn_datetime(b.first_received),
            vn_datetime(b.last_sync),
            b.pending,
        ]
        for b in c.branches
    ]
    return Table(
        "Tình hình báo cáo",
        c.unit.name,
        c.period.label,
        [
            "Chi đoàn",
            "Số hoạt động",
            "Tình trạng",
            "Ghi trên điện thoại sớm nhất",
            "Đến máy chủ sớm nhất",
            "Điện thoại đồng bộ lần cuối",
            "Mục đang chờ gửi",
        ],
        rows,
        [
            f"{c.reported}/{c.expected} chi đoàn đã báo cáo, {c.on_time} đúng hạn",
            sum(b.activities for b in c.branches),
            f"Hạn: {vn_date(c.due)}",
            "",
            "",
            "",
            sum(b.pending for b in c.branches),
        ],
    )


@bp.get("/<int:unit_id>/completeness")
def completeness_page(unit_id: int):
    unit = _unit_or_404(unit_id)
    if not any(request.args.get(k) for k in ("p", "from", "to")):
        # The last reporting period that has ended, by the unit's schedule.
        today, frequency = _today(), schedule_for(unit).frequency
        last = today.replace(day=1) - timedelta(days=1)
        default = periods.month(last.year, last.month)
        if frequency == "quarterly":
            default = periods.quarter(today.year, (today.month - 1) // 3 + 1).previous()
        return redirect(url_for("reports.completeness_page", unit_id=unit.id, p=default.code))
    period, error = _period()
    choices = periods.choices(_today(), _phases())
    if period is None:
        abort(400, error)
    c = completeness(unit, period, _today(), within=g.user.unit_id)
    return render_template(
        "reports/completeness.html",
        unit=unit,
        trail=_trail(unit),
        c=c,
        period=period,
        choices=choices,
        form=ScheduleForm(frequency=c.schedule.frequency, due_day=c.schedule.due_day),
        may_schedule=sets_schedules(g.user, unit.id),
    )


@bp.post("/<int:unit_id>/schedule")
def schedule(unit_id: int):
    unit = _unit_or_404(unit_id)
    if not sets_schedules(g.user, unit.id):
        abort(404)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        row = db.session.scalars(
            select(ReportingSchedule).where(ReportingSchedule.unit_id == unit.id)
        ).one_or_none() or ReportingSchedule(unit_id=unit.id)
        row.frequency, row.due_day = form.frequency.data, form.due_day.data
        row.set_by_id, row.set_at = g.user.id, utcnow()
        db.session.add(row)
        audit.record(
            "reporting_schedule.set",
            actor=g.user,
            target=("unit", unit.id),
            frequency=row.frequency,
            due_day=row.due_day,
        )
        db.session.commit()
        flash("Đã lưu lịch báo cáo cho đơn vị và các đơn vị trực thuộc.", "ok")
    return redirect(url_for("reports.completeness_page", unit_id=unit.id, **request.args))


def _nominations(unit: Unit, period: Period) -> list[Nomination]:
    """Nominations made by units of ``unit``'s subtree for periods overlapping ``period``."""
    return list(
        db.session.scalars(
            select(Nomination)
            .options(selectinload(Nomination.activities), joinedload(Nomination.unit))
            .where(
                Nomination.unit_id.in_(subtree_ids(unit.id)),
                Nomination.starts_on <= period.ends_on,
                Nomination.ends_on >= period.starts_on,
            )
            .order_by(Nomination.created_at)
        ).unique()
    )


def _nominations_table(unit: Unit, period: Period) -> Table:
    rows = [
        [
            NOMINATION_KINDS[n.kind][0],
            n.name,
            n.unit.name,
            n.reason,
            "; ".join(f"{vn_date(a.starts_on)} {a.title}" for a in n.activities),
        ]
        for n in _nominations(unit, period)
    ]
    return Table(
        "Đề nghị biểu dương",
        unit.name,
        period.label,
        ["Loại", "Cá nhân / mô hình", "Đơn vị đề nghị", "Thành tích", "Hoạt động minh chứng"],
        rows,
        [f"{len(rows)} đề nghị", "", "", "", ""],
    )


@bp.route("/<int:unit_id>/commendations", methods=["GET", "POST"])
def commendations(unit_id: int):
    unit = _unit_or_404(unit_id)
    period, error = _period()
    if period is None:
        abort(400, error)
    form = NominationForm()
    if request.method == "POST":
        try:
            chosen = {uuid.UUID(v) for v in request.form.getlist("activities")}
        except ValueError:
            abort(404)
        backing = (
            activities_of(unit, period, ids=list(chosen), within=g.user.unit_id) if chosen else []
        )
        if len(backing) != len(chosen):
            abort(404)  # an activity outside this unit's subtree or period
        if form.validate_on_submit():
            n = Nomination(
                unit_id=unit.id,
                kind=form.kind.data,
                name=form.name.data.strip(),
                reason=form.reason.data.strip(),
                period_code=period.code,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                created_by_id=g.user.id,
                activities=backing,
            )
            db.session.add(n)
            db.session.flush()
            audit.record(
                "nomination.create",
                actor=g.user,
                target=("nomination", n.id),
                unit_id=unit.id,
                period=period.code,
                activities=len(backing),
            )
            db.session.commit()
            flash("Đã ghi đề nghị biểu dương.", "ok")
            return redirect(url_for("reports.commendations", unit_id=unit.id, p=period.code))
        flash_errors(form)
    return render_template(
        "reports/commendations.html",
        unit=unit,
        trail=_trail(unit),
        period=period,
        choices=periods.choices(_today(), _phases()),
        nominations=_nominations(unit, period),
        # The most recent ones to choose from; a province's year holds far too many.
        candidates=list(
            reversed(activities_of(unit, period, latest=CANDIDATES, within=g.user.unit_id))
        ),
        form=form,
        kinds=NOMINATION_KINDS,
    )


def _target_form() -> TargetForm:
    form = TargetForm()
    form.type_id.choices = [SelectChoice(0, "Mọi loại hoạt động")] + [
        SelectChoice(t.id, t.name_vi)
        for t in db.session.scalars(select(ActivityType).order_by(ActivityType.sort_order))
    ]
    form.each_kind.choices = [SelectChoice("", "Cả đơn vị (tổng số)")] + [
        SelectChoice(kind.value, f"Mỗi {labels[0].lower()}")
        for kind, labels in UNIT_KIND_LABELS.items()
        if kind != UnitKind.PROVINCE
    ]
    return form


@bp.route("/<int:unit_id>/targets", methods=["GET", "POST"])
def targets(unit_id: int):
    unit = _unit_or_404(unit_id)
    period, error = _period()
    if period is None:
        abort(400, error)
    form = _target_form()
    may_set = sets_schedules(g.user, unit.id)
    if request.method == "POST":
        if not may_set:
            abort(404)
        if form.validate_on_submit():
            t = Target(
                unit_id=unit.id,
                type_id=form.type_id.data or None,
                each_kind=form.each_kind.data or None,
                activities=form.activities.data,
                period_code=period.code,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                set_by_id=g.user.id,
            )
            db.session.add(t)
            db.session.flush()
            audit.record(
                "target.set",
                actor=g.user,
                target=("target", t.id),
                unit_id=unit.id,
                period=period.code,
                activities=t.activities,
                each_kind=t.each_kind,
                type_id=t.type_id,
            )
            db.session.commit()
            flash("Đã đặt chỉ tiêu.", "ok")
            return redirect(url_for("reports.targets", unit_id=unit.id, p=period.code))
        flash_errors(form)
    refresh(db.session())
    return render_template(
        "reports/targets.html",
        unit=unit,
        trail=_trail(unit),
        period=period,
        choices=periods.choices(_today(), _phases()),
        progress=progress_for(unit, period, within=g.user.unit_id),
        kinds=UNIT_KIND_LABELS,
        form=form,
        may_set=may_set,
    )


def _targets_table(unit: Unit, period: Period) -> Table:
    rows: list[list[Any]] = []
    progress = progress_for(unit, period, within=g.user.unit_id)
    for pr in progress:
        what = f"{pr.target.activities} hoạt động " + (pr.type.name_vi if pr.type else "(mọi loại)")
        if pr.target.each_kind:
            what = f"Mỗi {UNIT_KIND_LABELS[pr.target.each_kind][0].lower()}: {what}"
        if pr.is_share:
            what = f"{what} — Phần của {unit.name}"
        rows.append(
            [
                what,
                pr.set_at_unit.name,
                vn_date(pr.target.starts_on),
                vn_date(pr.target.ends_on),
                pr.done,
                pr.goal,
                f"{pr.percent}%",
            ]
        )
        for u, n in pr.units:
            rows.append([f"— {u.name}", "", "", "", n, pr.target.activities, ""])
    return Table(
        "Chỉ tiêu và tiến độ",
        unit.name,
        period.label,
        ["Chỉ tiêu", "Do đơn vị đặt", "Từ ngày", "Đến ngày", "Đã đạt", "Cần đạt", "Tỷ lệ"],
        rows,
        # Targets of different kinds do not add up: the totals row counts them.
        [
            f"Tổng cộng: {len(progress)} chỉ tiêu ({sum(pr.met for pr in progress)} đã đạt)",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    )


@bp.get("/<int:unit_id>/export.<fmt>")
def export(unit_id: int, fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    unit = _unit_or_404(unit_id)
    period, error = _period()
    if period is None:
        abort(400, error)
    refresh(db.session())
    which = request.args.get("table", "units")
    if which == "activities":
        table = _activities_table(unit, period)
    elif which == "targets":
        table = _targets_table(unit, period)
    elif which == "commendations":
        table = _nominations_table(unit, period)
    elif which == "completeness":
        table = _completeness_table(completeness(unit, period, _today(), within=g.user.unit_id))
    elif which in ("units", "types", "pillars"):
        ov = overview(unit, period, within=g.user.unit_id)
        table = {"units": _units_table, "types": _types_table, "pillars": _pillars_table}[which](ov)
    else:
        abort(404)
    table.notes = [f"Xuất lúc {vn_datetime(utcnow())} bởi {g.user.full_name}"]
    audit.record(
        "report.export",
        actor=g.user,
        target=("unit", unit.id),
        table=which,
        period=period.code,
        format=fmt,
        rows=len(table.rows),
    )
    db.session.commit()
    return download(table, fmt, f"so-doan-{which}-{unit.code}-{period.code}")
