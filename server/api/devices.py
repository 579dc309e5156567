"""Devices: signing a phone in (password or enrolment code), listing, revoking."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request
from sqlalchemy import select

from schemas.sync import DeviceSignInSchema

from .. import audit
from ..auth import throttle
from ..auth.accounts import redeem_enrolment_code, revoke_device
from ..auth.devices import DeviceTaken, issue_token
from ..auth.service import authenticate, record_failure
from ..database import begin_writing
from ..errors import ApiError, render
from ..extensions import db
from ..models import Device, User
from ..policy import can_manage_user
from . import bp
from .auth import current_user, device_required
from .protocol import json_body


def _user_json(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "unit_id": user.unit_id,
    }


def _device_json(device: Device, current: uuid.UUID | None = None) -> dict:
    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "id": str(device.id),
        "name": device.name,
        "created_at": iso(device.created_at),
        "last_seen_at": iso(device.last_seen_at),
        "revoked_at": iso(device.revoked_at),
        "pending_count": device.pending_count,
        "pending_since": iso(device.pending_since),
        "current": device.id == current,
    }


def _too_many(wait: int):
    response = render(
        429,
        "too_many_requests",
        f"Too many failed sign-ins: try again in {wait} s",
        message=f"Đăng nhập sai quá nhiều lần, vui lòng thử lại sau {wait} giây",
        retry_after=wait,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/devices")
def sign_in_device():
    data = DeviceSignInSchema().load(json_body())
    code = data["enrolment_code"]
    if code:
        attempt = throttle.for_code(code, request.remote_addr)
    else:
        attempt = throttle.for_password(data["username"], request.remote_addr)
    wait = attempt.wait()
    if wait:
        return _too_many(wait)
    try:
        if code:
            # The code is read and then marked used: queue for the write lock first.
            begin_writing(db.session())
            redeemed = redeem_enrolment_code(code, data["device_id"], data["device_name"])
            if redeemed is None:
                record_failure(attempt, device_id=data["device_id"], method="enrolment_code")
                raise ApiError(
                    401, "enrolment_code_invalid", "The enrolment code is unknown, used or expired"
                )
            user, token = redeemed
        else:
            user = authenticate(data["username"], data["password"])
            if user is None:
                record_failure(
                    attempt,
                    device_id=data["device_id"],
                    username=data["username"][:80],
                    method="password",
                )
                raise ApiError(401, "bad_credentials", "Wrong username or password")
            token = issue_token(user, data["device_id"], data["device_name"])
            audit.record(
                "device_signed_in",
                actor=user,
                device_id=data["device_id"],
                target=("user", user.id),
                method="password",
            )
        attempt.succeeded()
    except DeviceTaken:
        db.session.rollback()
        raise ApiError(403, "device_taken", "This device id belongs to another account") from None
    db.session.commit()
    return jsonify(
        {"device_id": str(data["device_id"]), "token": token, "user": _user_json(user)}
    ), 201


@bp.get("/devices")
@device_required
def my_devices():
    user = current_user()
    rows = db.session.scalars(
        select(Device).where(Device.user_id == user.id).order_by(Device.created_at)
    ).all()
    out = [_device_json(d, g.device_id) for d in rows]
    db.session.rollback()
    return jsonify({"devices": out})


@bp.post("/devices/<uuid:device_id>/revoke")
@device_required
def revoke(device_id: uuid.UUID):
    """A user revokes their own lost phone; staff revoke one of the people they manage."""
    begin_writing(db.session())  # read, then written: queue for the write lock first
    actor = current_user()
    device = db.session.get(Device, device_id)
    if device is None or not (device.user_id == actor.id or can_manage_user(actor, device.user)):
        raise ApiError(404, "not_found", "No such device")
    revoke_device(actor, device)
    out = _device_json(device)
    db.session.commit()
    return jsonify(out)
