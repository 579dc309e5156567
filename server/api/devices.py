"""Signing a phone in: username and password once, a device token for weeks."""

from __future__ import annotations

from flask import jsonify

from schemas.sync import DeviceSignInSchema

from ..auth.devices import DeviceTaken, issue_token
from ..auth.service import authenticate
from ..extensions import db
from . import bp
from .errors import ApiError
from .protocol import json_body


@bp.post("/devices")
def sign_in_device():
    data = DeviceSignInSchema().load(json_body())
    user = authenticate(data["username"], data["password"])
    if user is None:
        raise ApiError(401, "bad_credentials", "Wrong username or password")
    try:
        token = issue_token(user, data["device_id"], data["device_name"])
    except DeviceTaken:
        db.session.rollback()
        raise ApiError(403, "device_taken", "This device id belongs to another account") from None
    db.session.commit()
    return jsonify(
        {
            "device_id": str(data["device_id"]),
            "token": token,
            "user": {
                "id": user.id,
                "username": user.username,
                "full_name": user.full_name,
                "role": user.role,
                "unit_id": user.unit_id,
            },
        }
    ), 201
