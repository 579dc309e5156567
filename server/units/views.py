"""Unit pages of the dashboard: the tree in scope, and its dated changes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth.session import login_required
from ..extensions import db
from ..models import UNIT_KIND_LABELS, Role, Unit, UnitEvent, UnitName
from ..policy import can_manage_unit, manages_units
from ..search import matches
from .forms import ChildForm, CloseForm, MergeForm, MoveForm, RenameForm
from .service import (
    TreeError,
    close_unit,
    create_unit,
    merge_unit,
    move_unit,
    rename_unit,
    subtree_ids,
)

bp = Blueprint("units", __name__, url_prefix="/units")


@bp.before_request
@login_required
def _staff_only():
    if not manages_units(g.user):
        abort(404)


def _in_scope():
    query = select(Unit).where(Unit.closed_on.is_(None))
    if g.user.role != Role.ADMIN:
        query = query.where(Unit.id.in_(subtree_ids(g.user.unit_id)))
    return query


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not (can_manage_unit(g.user, unit_id) or unit_id == g.user.unit_id):
        abort(404)
    return unit


@bp.get("/")
def index():
    q = request.args.get("q", "").strip()
    query = _in_scope().order_by(Unit.depth, Unit.name_fold).limit(500)
    if q:
        query = query.where(matches(Unit.name_fold, q))
    units = db.session.scalars(query).all()
    return render_template("units/index.html", units=units, q=q, kinds=UNIT_KIND_LABELS)


def _forms(unit: Unit) -> dict:
    others = [
        SelectChoice(u.id, u.name)
        for u in db.session.scalars(
            _in_scope().where(Unit.id != unit.id).order_by(Unit.depth, Unit.name_fold)
        )
    ]
    move, merge = MoveForm(prefix="move"), MergeForm(prefix="merge")
    move.parent_id.choices = others
    merge.target_id.choices = others
    return {
        "rename": RenameForm(prefix="rename", name=unit.name),
        "move": move,
        "merge": merge,
        "close": CloseForm(prefix="close"),
        "child": ChildForm(prefix="child"),
    }


@bp.get("/<int:unit_id>")
def show(unit_id: int):
    unit = _unit_or_404(unit_id)
    return _page(unit, _forms(unit))


def _page(unit: Unit, forms: dict, status: int = 200):
    children = db.session.scalars(
        select(Unit)
        .where(Unit.parent_id == unit.id)
        .order_by(Unit.closed_on.is_not(None), Unit.name_fold)
    ).all()
    names = db.session.scalars(
        select(UnitName).where(UnitName.unit_id == unit.id).order_by(UnitName.valid_from)
    ).all()
    events = db.session.scalars(
        select(UnitEvent)
        .where(UnitEvent.unit_id == unit.id)
        .order_by(UnitEvent.effective_on, UnitEvent.id)
    ).all()
    editable = can_manage_unit(g.user, unit.id)
    return render_template(
        "units/show.html",
        unit=unit,
        children=children,
        names=names,
        events=events,
        forms=forms,
        editable=editable,
        kinds=UNIT_KIND_LABELS,
        happened=happened,
    ), status


@bp.post("/<int:unit_id>/<action>")
def change(unit_id: int, action: str):
    unit = _unit_or_404(unit_id)
    forms = _forms(unit)
    form = forms.get(action)
    # Adding below one's own unit is allowed; changing it is not.
    allowed = can_manage_unit(g.user, unit.id) or (action == "child" and manages_units(g.user))
    if form is None or not allowed:
        abort(404)
    if not form.validate_on_submit():
        return _page(unit, forms, 400)
    on = form.effective_on.data
    try:
        if action == "rename":
            rename_unit(unit, form.name.data.strip(), on, g.user)
        elif action == "move":
            _check_target(form.parent_id.data)
            move_unit(unit, db.session.get(Unit, form.parent_id.data), on, g.user)
        elif action == "merge":
            _check_target(form.target_id.data)
            merge_unit(unit, db.session.get(Unit, form.target_id.data), on, g.user)
        elif action == "close":
            close_unit(unit, on, g.user)
        elif action == "child":
            if db.session.scalar(select(Unit.id).where(Unit.code == form.code.data)):
                raise TreeError(_("Mã %(code)s đã được dùng", code=form.code.data))
            child = create_unit(
                code=form.code.data,
                name=form.name.data.strip(),
                kind=form.kind.data,
                parent=unit,
                border_area=form.border_area.data,
                opened_on=on,
                actor=g.user,
            )
            audit.record("unit_created", actor=g.user, target=("unit", child.id))
    except TreeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page(_unit_or_404(unit_id), _forms(_unit_or_404(unit_id)), 409)
    if action != "child":
        audit.record(
            f"unit_{action}", actor=g.user, target=("unit", unit.id), effective_on=on.isoformat()
        )
    db.session.commit()
    flash(_("Đã ghi nhận thay đổi"), "ok")
    return redirect(url_for("units.show", unit_id=unit_id))


def happened(event: UnitEvent) -> str:
    """One line of a unit's history, in the page's language; the codes are as recorded."""
    d = event.detail or {}
    if event.action == "created":
        if d.get("parent"):
            return _(
                "Thành lập, mã %(code)s, trực thuộc %(parent)s",
                code=d.get("code"),
                parent=d["parent"],
            )
        return _("Thành lập, mã %(code)s", code=d.get("code"))
    if event.action == "renamed":
        return _("Đổi tên từ “%(old)s” thành “%(new)s”", old=d.get("old"), new=d.get("new"))
    if event.action == "moved":
        if d.get("old_parent"):
            return _(
                "Chuyển từ %(old)s sang trực thuộc %(new)s",
                old=d["old_parent"],
                new=d.get("new_parent"),
            )
        return _("Chuyển sang trực thuộc %(new)s", new=d.get("new_parent"))
    if event.action == "merged":
        return _("Sáp nhập vào %(into)s", into=d.get("into"))
    if event.action == "closed":
        return _("Giải thể")
    # A change recorded by a later version, read by this one: its facts as they are.
    return " · ".join([event.action, *(f"{k}: {v}" for k, v in d.items())])


def _check_target(unit_id: int) -> None:
    if db.session.scalar(_in_scope().where(Unit.id == unit_id)) is None:
        abort(404)
