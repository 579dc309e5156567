"""People pages of the dashboard: list, create, change, enrol a phone, revoke, deactivate.

Every page asks the policy; someone out of reach is "not found".
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from ..auth.accounts import deactivate_user, new_enrolment_code, revoke_device
from ..auth.session import login_required
from ..extensions import db
from ..i18n import pick
from ..models import ROLE_LABELS, Device, Role, Unit, User
from ..policy import (
    assignable_roles,
    can_manage_user,
    can_place_in,
    manages_people,
    outranks,
)
from ..search import matches
from ..units.service import subtree_ids
from .forms import ActionForm, ChangeForm, PersonForm
from .service import PersonError, change_person, create_person

bp = Blueprint("people", __name__, url_prefix="/people")
PAGE = 100


@bp.before_request
@login_required
def _staff_only():
    if not manages_people(g.user):
        abort(404)


def _units_in_reach() -> list[Unit]:
    query = select(Unit).where(Unit.closed_on.is_(None)).order_by(Unit.depth, Unit.name_fold)
    if g.user.role != Role.ADMIN:
        query = query.where(Unit.id.in_(subtree_ids(g.user.unit_id)))
    return list(db.session.scalars(query))


def _choices(form) -> None:
    form.role.choices = [
        SelectChoice(r.value, pick(ROLE_LABELS[r])) for r in assignable_roles(g.user)
    ]
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in _units_in_reach()]


def _managed_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not can_manage_user(g.user, person):
        abort(404)
    return person


@bp.get("/")
def index():
    q = request.args.get("q", "").strip()
    query = select(User).order_by(User.full_name_fold).limit(PAGE)
    if g.user.role != Role.ADMIN:
        query = query.where(User.unit_id.in_(subtree_ids(g.user.unit_id)))
    if q:
        query = query.where(matches(User.full_name_fold, q) | User.username.contains(q))
    # The query keeps to the actor's subtree; only the rank remains to check per person.
    people = [p for p in db.session.scalars(query) if outranks(g.user, p)]
    devices = dict(
        db.session.execute(
            select(Device.user_id, func.count())
            .where(Device.user_id.in_([p.id for p in people]), Device.revoked_at.is_(None))
            .group_by(Device.user_id)
        ).all()
    )
    return render_template(
        "people/index.html", people=people, devices=devices, q=q, roles=ROLE_LABELS
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = PersonForm()
    _choices(form)
    if form.validate_on_submit():
        if not can_place_in(g.user, form.unit_id.data):
            abort(404)
        try:
            person = create_person(
                actor=g.user,
                username=form.username.data,
                full_name=form.full_name.data,
                role=form.role.data,
                unit_id=form.unit_id.data,
                password=form.password.data or None,
            )
        except PersonError as exc:
            form.username.errors.append(pick((exc.vi, exc.en)))
        else:
            db.session.commit()
            flash(_("Đã tạo tài khoản"), "ok")
            return redirect(url_for("people.show", user_id=person.id))
    return render_template("people/new.html", form=form)


def _person_page(person: User, **extra: object) -> str:
    form = ChangeForm(role=person.role, unit_id=person.unit_id)
    _choices(form)
    devices = db.session.scalars(
        select(Device).where(Device.user_id == person.id).order_by(Device.created_at)
    ).all()
    return render_template(
        "people/show.html",
        person=person,
        form=form,
        devices=devices,
        action=ActionForm(),
        roles=ROLE_LABELS,
        **{"code": None, **extra},
    )


@bp.get("/<int:user_id>")
def show(user_id: int):
    return _person_page(_managed_or_404(user_id))


@bp.post("/<int:user_id>")
def change(user_id: int):
    person = _managed_or_404(user_id)
    form = ChangeForm()
    _choices(form)
    if not form.validate_on_submit() or not can_place_in(g.user, form.unit_id.data):
        abort(400)
    change_person(g.user, person, role=form.role.data, unit_id=form.unit_id.data)
    db.session.commit()
    flash(_("Đã lưu thay đổi"), "ok")
    return redirect(url_for("people.show", user_id=person.id))


@bp.post("/<int:user_id>/enrolment-code")
def enrol(user_id: int):
    person = _managed_or_404(user_id)
    if not ActionForm().validate_on_submit() or not person.is_active:
        abort(400)
    code, row = new_enrolment_code(g.user, person)
    db.session.commit()
    # Shown once, on this page only: the server keeps just its hash.
    return _person_page(person, code=code, code_expires=row.expires_at, qr=_qr(code))


@bp.post("/<int:user_id>/devices/<uuid:device_id>/revoke")
def revoke(user_id: int, device_id):
    person = _managed_or_404(user_id)
    device = db.session.get(Device, device_id)
    if device is None or device.user_id != person.id or not ActionForm().validate_on_submit():
        abort(404)
    revoke_device(g.user, device)
    db.session.commit()
    flash(_("Đã thu hồi quyền truy cập của thiết bị"), "ok")
    return redirect(url_for("people.show", user_id=person.id))


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int):
    person = _managed_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = deactivate_user(g.user, person)
    db.session.commit()
    flash(
        ngettext(
            "Đã khoá tài khoản và thu hồi %(num)d thiết bị",
            "Đã khoá tài khoản và thu hồi %(num)d thiết bị",
            count,
        ),
        "ok",
    )
    return redirect(url_for("people.show", user_id=person.id))


def _qr(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=6, border=2)
