"""Managing people from a staff device: their phones, enrolment codes, deactivation.

Every route asks the policy (``can_manage_user``); a person outside the actor's reach
answers 404, the same as a person who does not exist.
"""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ..auth.accounts import deactivate_user, new_enrolment_code
from ..database import begin_writing
from ..errors import ApiError
from ..extensions import db
from ..models import Device, User
from ..policy import can_manage_user
from . import bp
from .auth import current_user, device_required
from .devices import _device_json


def _managed(user_id: int) -> tuple[User, User]:
    actor = current_user()
    target = db.session.get(User, user_id)
    if target is None or not can_manage_user(actor, target):
        raise ApiError(404, "not_found", "No such user")
    return actor, target


@bp.get("/users/<int:user_id>/devices")
@device_required
def user_devices(user_id: int):
    _actor, target = _managed(user_id)
    rows = db.session.scalars(
        select(Device).where(Device.user_id == target.id).order_by(Device.created_at)
    ).all()
    out = [_device_json(d) for d in rows]
    db.session.rollback()
    return jsonify({"devices": out})


@bp.post("/users/<int:user_id>/enrolment-codes")
@device_required
def create_enrolment_code(user_id: int):
    begin_writing(db.session())  # read, then written: queue for the write lock first
    actor, target = _managed(user_id)
    if not target.is_active:
        raise ApiError(409, "user_inactive", "The user is deactivated")
    code, row = new_enrolment_code(actor, target)
    expires = row.expires_at.isoformat()
    db.session.commit()
    return jsonify({"code": code, "expires_at": expires, "user_id": target.id}), 201


@bp.post("/users/<int:user_id>/deactivate")
@device_required
def deactivate(user_id: int):
    begin_writing(db.session())  # read, then written: queue for the write lock first
    actor, target = _managed(user_id)
    revoked = deactivate_user(actor, target)
    db.session.commit()
    return jsonify({"user_id": user_id, "active": False, "devices_revoked": revoked})
