"""Report pages: a unit's figures for a period, drill-down, charts, Excel and CSV.

The unit in the URL must be in the reader's subtree; anything else is "not found", for
the page and for every export alike. Views are thin: figures come from the read services
(through the reports' reader, :mod:`server.reports.source`), tables from their specs
(:mod:`server.reports.tables`), charts from :mod:`server.reports.charts`, the three writes
from :mod:`server.reports.actions`. Reading a report never writes: the totals are kept
fresh by the totals worker, and a page says when changes still wait (decision 55).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

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
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth.session import login_required
from ..errors import ApiError
from ..extensions import db
from ..formatting import VIETNAM, vn_datetime
from ..forms import flash_errors
from ..i18n import pick
from ..models import (
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    Activity,
    ActivityType,
    Phase,
    Unit,
    UnitClosure,
    UnitKind,
)
from ..models.types import utcnow
from ..policy import can_read_reports_of, can_review, reads_reports, sets_schedules
from ..units.service import ancestor_ids, subtree_ids
from . import actions, charts, periods, proof, sorting, tables
from .completeness import completeness, schedule_for
from .export import download
from .forms import NominationForm, ScheduleForm, TargetForm
from .freshness import Waiting, waiting
from .letterhead import exported_by, letterhead_of
from .periods import Period, PeriodError
from .service import activities_of, held_on_activity_date, nominations_of, overview
from .source import reader
from .targets import progress_for

bp = Blueprint("reports", __name__, url_prefix="/reports")
#: Activities offered as evidence on the nomination form.
CANDIDATES = 300
#: Exports read from the totals, which may lag behind the latest changes.
FROM_TOTALS = {"units", "types", "pillars", "targets"}


@bp.before_request
@login_required
def _readers_only():
    if not reads_reports(g.user):
        abort(404)


def _today() -> date:
    return utcnow().astimezone(VIETNAM).date()


def _phases() -> dict[str, tuple[str, date, date, str]]:
    """Each phase as ``periods.phase`` takes it: Vietnamese name, dates, English name."""
    return {
        p.code: (p.name_vi, p.starts_on, p.ends_on, p.name_en)
        for p in reader().scalars(select(Phase).order_by(Phase.starts_on))
    }


def _period() -> tuple[Period | None, str | None]:
    """The period asked for: ``p``, or a range of days from ``from``/``to`` (written
    dd/mm/yyyy, or ISO in older links) when ``p`` is ``range`` or absent (decision 178)."""
    p = request.args.get("p", "").strip()
    start, end = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    try:
        if p == periods.RANGE or (not p and (start or end)):
            return periods.between(start, end), None
        return periods.parse(p, today=_today(), phases=_phases()), None
    except PeriodError as exc:
        return None, exc.shown()


def _period_or_400() -> Period:
    period, error = _period()
    if period is None:
        # The reason, not the page's generic "bad request", in the page's language; the
        # error page shows ``message`` (decisions 183, 186).
        raise ApiError(400, "bad_request", error, message=error)
    return period


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_read_reports_of(g.user, unit_id):
        abort(404)
    return unit


def _trail(unit: Unit) -> list[Unit]:
    """The units from the reader's own unit down to this one, for the breadcrumb."""
    ids = list(reader().scalars(ancestor_ids(unit.id)))
    mine = ids.index(g.user.unit_id) if g.user.unit_id in ids else len(ids) - 1
    chain = list(reversed(ids[: mine + 1]))
    units = {u.id: u for u in reader().scalars(select(Unit).where(Unit.id.in_(chain)))}
    return [units[i] for i in chain]


def _trend_period(period: Period) -> Period:
    """A trend needs months: the period itself when it spans three or more, else the
    twelve months up to its end."""
    if len(period.months()) >= 3:
        return period
    end = period.ends_on
    start_year, start_month = (end.year - 1, end.month + 1) if end.month < 12 else (end.year, 1)
    return periods.span(date(start_year, start_month, 1), end)


#: A change against the previous period is a percentage only when that period holds at
#: least this many activities (decision 175): against a handful, "+1035 %" says nothing.
MIN_PREVIOUS = 20


def _change(now: int | Decimal, before: int | Decimal) -> str:
    if not before:
        return "—"
    pct = (Decimal(now) - Decimal(before)) * 100 / Decimal(before)
    return f"{pct:+.0f}%".replace("-", "−")


def _lagging(w: Waiting | None) -> str | None:
    """The export's note when the figures do not include every change yet."""
    if w is None:
        return None
    return (
        f"Số liệu chưa gồm các thay đổi từ {vn_datetime(w.since)} (đang cập nhật)"
        " / figures do not include changes since then yet"
    )


@bp.get("/activity/<uuid:activity_id>")
def activity(activity_id: uuid.UUID):
    """One activity for any report reader whose scope held it on its date (decision 44):
    the drill-down's last step, read-only; reviewers also get the way to decide on it.

    Whether the reader may open it is decided on the primary (decision 130): a replica
    that has not caught up with a move in the tree or a deletion must not grant what the
    primary no longer does. Only the row shown is read from the reports' reader."""
    c = UnitClosure
    allowed = db.session.scalar(
        select(Activity.id)
        .join(c, and_(held_on_activity_date(c), c.ancestor_id == g.user.unit_id))
        .where(
            Activity.id == activity_id,
            Activity.deleted_at.is_(None),
            Activity.unit_id.in_(subtree_ids(g.user.unit_id)),
        )
    )
    a = None
    if allowed is not None:
        a = (
            reader()
            .scalars(
                select(Activity)
                .options(joinedload(Activity.unit), joinedload(Activity.type))
                .where(Activity.id == allowed, Activity.deleted_at.is_(None))
            )
            .one_or_none()
        )
    if a is None:
        abort(404)
    return render_template(
        "reports/activity.html",
        a=a,
        statuses=STATUS_LABELS,
        reviews=can_review(g.user, a.unit_id),
    )


@bp.get("/")
def index():
    return redirect(url_for("reports.show", unit_id=g.user.unit_id, **sorting.kept_args()))


@bp.get("/<int:unit_id>")
def show(unit_id: int):
    unit = _unit_or_404(unit_id)
    period, error = _period()
    choices = periods.choices(_today(), _phases())
    if period is None:
        return render_template(
            "reports/show.html", unit=unit, trail=_trail(unit), error=error, choices=choices
        ), 400
    within = g.user.unit_id
    ov = overview(unit, period, _trend_period(period), within=within)
    items = activities_of(unit, period, within=within) if not ov.children else []
    order = sorting.Sorting.from_request(sorting.UNIT_KEYS, sorting.UNIT_LARGEST_FIRST)
    return render_template(
        "reports/show.html",
        unit=unit,
        trail=_trail(unit),
        ov=ov,
        period=period,
        previous=period.previous(),
        choices=choices,
        change=_change,
        comparable=ov.previous.activities >= MIN_PREVIOUS,
        unproven_share=tables.percent(ov.total.unproven, ov.total.activities),
        min_previous=MIN_PREVIOUS,
        charts=charts.of(ov),
        units=tables.units(
            ov, lambda rows: order.apply(rows, sorting.UNIT_KEYS, lambda r: r.unit.name_fold)
        ),
        order=order,
        pillars=tables.pillars(ov),
        types=tables.types(ov),
        activities=tables.activities(items, proof.photo_counts(a.id for a in items)),
        waiting=waiting(),
        error=None,
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
    period = _period_or_400()
    c = completeness(unit, period, _today(), within=g.user.unit_id)
    order = sorting.Sorting.from_request(sorting.BRANCH_KEYS, sorting.BRANCH_LARGEST_FIRST)
    missing_only = request.args.get("only") == "missing"
    args = sorting.kept_args("only")
    return render_template(
        "reports/completeness.html",
        unit=unit,
        trail=_trail(unit),
        c=c,
        branches=tables.completeness(c),
        groups=sorting.branch_groups(c, order, missing_only),
        order=order,
        missing_only=missing_only,
        all_url=url_for("reports.completeness_page", unit_id=unit.id, **args),
        missing_url=url_for("reports.completeness_page", unit_id=unit.id, **args, only="missing"),
        period=period,
        choices=periods.choices(_today(), _phases()),
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
        actions.set_schedule(unit, g.user, frequency=form.frequency.data, due_day=form.due_day.data)
        db.session.commit()
        flash(_("Đã lưu lịch báo cáo cho đơn vị và các đơn vị trực thuộc."), "ok")
    return redirect(url_for("reports.completeness_page", unit_id=unit.id, **sorting.kept_args()))


@bp.route("/<int:unit_id>/commendations", methods=["GET", "POST"])
def commendations(unit_id: int):
    unit = _unit_or_404(unit_id)
    period = _period_or_400()
    form = NominationForm()
    if request.method == "POST":
        try:
            chosen = {uuid.UUID(v) for v in request.form.getlist("activities")}
        except ValueError:
            abort(404)
        if form.validate_on_submit():
            try:
                actions.nominate(
                    unit,
                    period,
                    g.user,
                    kind=form.kind.data,
                    name=form.name.data,
                    reason=form.reason.data,
                    evidence=chosen,
                )
            except actions.NotInReport:
                abort(404)  # an activity outside this unit's subtree or period
            db.session.commit()
            flash(_("Đã ghi đề nghị biểu dương."), "ok")
            return redirect(url_for("reports.commendations", unit_id=unit.id, p=period.code))
        flash_errors(form)
    return render_template(
        "reports/commendations.html",
        unit=unit,
        trail=_trail(unit),
        period=period,
        choices=periods.choices(_today(), _phases()),
        nominations=tables.nominations(nominations_of(unit, period)),
        # The most recent ones to choose from; a province's year holds far too many.
        candidates=list(
            reversed(activities_of(unit, period, latest=CANDIDATES, within=g.user.unit_id))
        ),
        form=form,
    )


def _target_form() -> TargetForm:
    form = TargetForm()
    form.type_id.choices = [SelectChoice(0, _("Mọi loại hoạt động"))] + [
        SelectChoice(t.id, pick((t.name_vi, t.name_en)))
        for t in reader().scalars(select(ActivityType).order_by(ActivityType.sort_order))
    ]
    form.each_kind.choices = [SelectChoice("", _("Cả đơn vị (tổng số)"))] + [
        SelectChoice(kind.value, _("Mỗi %(kind)s", kind=pick(labels).lower()))
        for kind, labels in UNIT_KIND_LABELS.items()
        if kind != UnitKind.PROVINCE
    ]
    return form


@bp.route("/<int:unit_id>/targets", methods=["GET", "POST"])
def targets(unit_id: int):
    unit = _unit_or_404(unit_id)
    period = _period_or_400()
    form = _target_form()
    may_set = sets_schedules(g.user, unit.id)
    if request.method == "POST":
        if not may_set:
            abort(404)
        if form.validate_on_submit():
            actions.set_target(
                unit,
                period,
                g.user,
                activities=form.activities.data,
                type_id=form.type_id.data or None,
                each_kind=form.each_kind.data or None,
            )
            db.session.commit()
            flash(_("Đã đặt chỉ tiêu."), "ok")
            return redirect(url_for("reports.targets", unit_id=unit.id, p=period.code))
        flash_errors(form)
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
        waiting=waiting(),
    )


def _listing(which: str, unit: Unit, period: Period) -> tables.Listing | None:
    within = g.user.unit_id
    if which in ("units", "types", "pillars"):
        ov = overview(unit, period, within=within)
        return {"units": tables.units, "types": tables.types, "pillars": tables.pillars}[which](ov)
    if which == "activities":
        items = activities_of(unit, period, within=within)
        return tables.activities(items, proof.photo_counts(a.id for a in items))
    if which == "targets":
        return tables.targets(progress_for(unit, period, within=within))
    if which == "commendations":
        return tables.nominations(nominations_of(unit, period))
    if which == "completeness":
        return tables.completeness(completeness(unit, period, _today(), within=within))
    return None


@bp.get("/<int:unit_id>/export.<fmt>")
def export(unit_id: int, fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    unit = _unit_or_404(unit_id)
    period = _period_or_400()
    which = request.args.get("table", "units")
    listing = _listing(which, unit, period)
    if listing is None:
        abort(404)
    table = listing.table(unit.name, period.label)
    table.notes = [exported_by(g.user)]
    table.letterhead = letterhead_of(g.user.unit)
    lagging = _lagging(waiting()) if which in FROM_TOTALS else None
    if lagging:
        table.notes.append(lagging)
    # Who exported what: the one write of a report read, to the primary (decision 55).
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


from . import downloads  # noqa: E402, F401  (the summary report's route, on this blueprint)
