"""Review pages: the queue of submitted activities in scope, one activity, decisions.

Every activity outside the reviewer's subtree is "not found", whether it exists or not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from sync import log

from .. import audit
from ..actors import actor_key, actor_key_sql, user_id_of
from ..auth.session import login_required
from ..database import begin_writing
from ..extensions import db
from ..forms import flash_errors
from ..inputs import bounded_int
from ..models import STATUS_LABELS, Activity, ActivityStatus, ActivityType, Unit, User
from ..policy import reviewable_unit_ids, reviews
from ..reports.export import download
from ..reports.sorting import Sorting, kept_args
from ..search import matches
from ..units.service import subtree_ids
from .export import review_table
from .forms import DecisionForm, ReturnForm
from .service import RETURN, VERIFY, ReviewError, decide

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE = 50


@bp.before_request
@login_required
def _reviewers_only():
    if not reviews(g.user):
        abort(404)


def _units_in_scope() -> list[Unit]:
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.id.in_(reviewable_unit_ids(g.user)))
            .order_by(Unit.depth, Unit.name_fold)
        )
    )


def _int_arg(name: str) -> int | None:
    return bounded_int(request.args.get(name))


@dataclass
class Queue:
    """The queue as the filters in the URL ask for it (shared by the page and exports)."""

    status: str
    unit_id: int | None
    type_id: int | None
    q: str
    units: list[Unit]
    query: Any
    #: ``sort=date`` (``dir=desc``: the latest first); None: the longest waiting first.
    order: Sorting


def _queue() -> Queue:
    status = request.args.get("status", ActivityStatus.SUBMITTED.value)
    if status not in {s.value for s in ActivityStatus}:
        status = ActivityStatus.SUBMITTED.value
    unit_id = _int_arg("unit")
    type_id = _int_arg("type")
    q = request.args.get("q", "").strip()
    units = _units_in_scope()
    scope = reviewable_unit_ids(g.user)
    if unit_id is not None and unit_id in {u.id for u in units}:
        scope = subtree_ids(unit_id)
    else:
        unit_id = None
    query = select(Activity).where(
        Activity.unit_id.in_(scope),
        Activity.deleted_at.is_(None),
        Activity.status == status,
    )
    if type_id is not None:
        query = query.where(Activity.type_id == type_id)
    if q:
        query = query.where(matches(Activity.search_fold, q))
    query = query.options(joinedload(Activity.unit), joinedload(Activity.type))
    order = Sorting.from_request(["date"])
    if order.key == "date":
        day = Activity.starts_on.desc() if order.desc else Activity.starts_on
        query = query.order_by(day, Activity.id)
    else:
        # The longest waiting first: a branch should not wait weeks for an answer.
        query = query.order_by(Activity.updated_at, Activity.id)
    return Queue(status, unit_id, type_id, q, units, query, order)


@bp.get("/")
def index():
    queue = _queue()
    status, unit_id, type_id, q, units = (
        queue.status,
        queue.unit_id,
        queue.type_id,
        queue.q,
        queue.units,
    )
    total = db.session.scalar(
        select(func.count()).select_from(queue.query.order_by(None).subquery())
    )
    # A page past the last shows the last (a bookmark kept while the queue shrank).
    page = min(_int_arg("page") or 1, max(1, -(-total // PAGE)))
    activities = db.session.scalars(queue.query.offset((page - 1) * PAGE).limit(PAGE)).all()
    # The commune (the branch's parent) beside the branch: branch names repeat.
    parents = dict(
        db.session.execute(
            select(Unit.id, Unit.name).where(
                Unit.id.in_({a.unit.parent_id for a in activities} - {None})
            )
        ).all()
    )
    types = db.session.scalars(select(ActivityType).order_by(ActivityType.sort_order)).all()
    return render_template(
        "review/index.html",
        activities=activities,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        status=status,
        statuses=STATUS_LABELS,
        unit_id=unit_id,
        type_id=type_id,
        q=q,
        units=units,
        types=types,
        form=DecisionForm(),
        order=queue.order,
        parents=parents,
        waiting_args=kept_args("sort", "dir", "page"),
        query=kept_args("page"),
    )


def _activity_or_404(activity_id: uuid.UUID) -> Activity:
    a = db.session.scalars(
        select(Activity)
        .options(joinedload(Activity.unit), joinedload(Activity.type))
        .where(
            Activity.id == activity_id,
            Activity.deleted_at.is_(None),
            Activity.unit_id.in_(reviewable_unit_ids(g.user)),
        )
    ).one_or_none()
    if a is None:
        abort(404)
    return a


@bp.get("/<uuid:activity_id>")
def show(activity_id: uuid.UUID):
    a = _activity_or_404(activity_id)
    return render_template(
        "review/show.html",
        a=a,
        statuses=STATUS_LABELS,
        verify_form=DecisionForm(prefix="verify"),
        return_form=ReturnForm(prefix="return"),
    )


def _take(ids: list[uuid.UUID], decision: str, comment: str | None = None):
    begin_writing(db.session())
    try:
        outcome = decide(g.user, ids, decision, comment)
    except ReviewError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            abort(404)
        flash(_(exc.message, **exc.params), "error")
        return None
    db.session.commit()
    return outcome


@bp.post("/<uuid:activity_id>/verify")
def verify(activity_id: uuid.UUID):
    form = DecisionForm(prefix="verify")
    if not form.validate_on_submit():
        abort(400)
    outcome = _take([activity_id], VERIFY)
    if outcome is not None:
        if outcome.decided:
            flash(_("Đã xác nhận hoạt động."), "ok")
        else:
            flash(_("Hoạt động không còn ở trạng thái “Đã gửi”; không xác nhận."), "error")
    return redirect(url_for("review.show", activity_id=activity_id))


@bp.post("/<uuid:activity_id>/return")
def return_(activity_id: uuid.UUID):
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        _activity_or_404(activity_id)
        flash_errors(form)
        return redirect(url_for("review.show", activity_id=activity_id))
    outcome = _take([activity_id], RETURN, form.comment.data)
    if outcome is not None:
        if outcome.decided:
            flash(_("Đã trả lại hoạt động cho chi đoàn kèm nhận xét."), "ok")
        else:
            flash(_("Hoạt động này không thể trả lại ở trạng thái hiện tại."), "error")
    return redirect(url_for("review.show", activity_id=activity_id))


@bp.post("/verify")
def verify_many():
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ids = [uuid.UUID(v) for v in request.form.getlist("ids")]
    except ValueError:
        abort(404)
    outcome = _take(ids, VERIFY)
    if outcome is not None:
        flash(_("Đã xác nhận %(n)s hoạt động.", n=len(outcome.decided)), "ok")
        if outcome.skipped:
            flash(
                _(
                    "%(n)s hoạt động không còn ở trạng thái “Đã gửi”, chưa được xác nhận.",
                    n=len(outcome.skipped),
                ),
                "error",
            )
    return redirect(url_for("review.index", **kept_args()))


#: An export holds at most this many rows (a queue longer than that needs filters).
EXPORT_LIMIT = 10_000


@bp.get("/export.<fmt>")
def export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    queue = _queue()
    items = db.session.scalars(queue.query.limit(EXPORT_LIMIT + 1)).unique().all()
    # Never cut silently: the totals row (also in the CSV) says the list is incomplete.
    cut = len(items) > EXPORT_LIMIT
    items = items[:EXPORT_LIMIT]
    table = review_table(
        items,
        status=queue.status,
        unit=next((u for u in queue.units if u.id == queue.unit_id), g.user.unit),
        type_=db.session.get(ActivityType, queue.type_id) if queue.type_id else None,
        q=queue.q,
        user=g.user,
        cut=cut,
    )
    audit.record("review.export", actor=g.user, status=queue.status, rows=len(items), format=fmt)
    db.session.commit()
    return download(table, fmt, f"so-doan-review-{queue.status}")


#: The refused entries page shows the newest this many (the phone keeps every one too).
REFUSED_SHOWN = 200


@dataclass
class Refused:
    """One mutation the server refused, as a reviewer needs to read it."""

    received_at: Any
    person: str
    unit: str
    title: str
    reason: str
    problems: list[str]
    resent: bool


def _problems(errors: Any, prefix: str = "") -> list[str]:
    """Field errors ({field: [problem]}, nested for quantities) as "field: message" lines."""
    out: list[str] = []
    if isinstance(errors, dict):
        for name, value in errors.items():
            out += _problems(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}")
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict) and "message" in item:
                out.append(f"{prefix}: {item['message']}" if prefix else item["message"])
            else:
                out += _problems(item, prefix)
    return out


def _names(rows: list[log.Refused]) -> dict[str, tuple[str, str]]:
    """Each sender's name and unit, by actor key, in one query for the page."""
    ids = {user_id_of(r.actor) for r in rows} - {None}
    if not ids:
        return {}
    found = db.session.execute(
        select(User.id, User.full_name, Unit.name)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.id.in_(ids))
    )
    return {actor_key(user_id): (person, unit) for user_id, person, unit in found}


@bp.get("/refused")
def refused():
    """What phones in scope sent and the server refused, newest first: kept server-side
    (the payload as sent), so a lost phone does not lose what was typed, and staff can
    help a branch that cannot get an entry accepted."""
    senders = select(actor_key_sql(User.id)).where(User.unit_id.in_(reviewable_unit_ids(g.user)))
    rows = log.refused(db.session(), actors=senders, limit=REFUSED_SHOWN)
    names = _names(rows)
    items = []
    for row in rows:
        payload, result = row.payload, row.result
        record = payload.get("record") or {}
        reason = result.get("reason") or {}
        person, unit = names.get(row.actor, ("—", "—"))
        items.append(
            Refused(
                row.received_at,
                person,
                unit,
                record.get("title") or (_("(xoá)") if payload.get("op") == "delete" else "—"),
                reason.get("message") or reason.get("code") or "—",
                _problems(result.get("errors")),
                row.resent,
            )
        )
    return render_template("review/refused.html", items=items, shown=REFUSED_SHOWN)
