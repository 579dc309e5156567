"""Device tokens: how a phone proves who it is for weeks without a password.

A token is random, shown once, and stored only as its SHA-256 (a token is long and
random, so a fast hash is enough; a stolen table gives nothing to replay).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Device, User
from ..models.types import utcnow


class DeviceTaken(Exception):
    """The device id is registered to another user."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, device_id: uuid.UUID, name: str) -> str:
    """Sign a device in: a new token; an existing device of the same user keeps its id
    (and so its sync history and unsent entries) and loses its old token."""
    device = db.session.get(Device, device_id)
    if device is not None and device.user_id != user.id:
        raise DeviceTaken(str(device_id))
    token = secrets.token_urlsafe(32)
    if device is None:
        device = Device(
            id=device_id, user_id=user.id, name=name or "Điện thoại", token_hash=hash_token(token)
        )
        db.session.add(device)
    else:
        device.token_hash = hash_token(token)
        device.revoked_at = None
        if name:
            device.name = name
    device.last_seen_at = utcnow()
    return token


def device_for_token(token: str) -> Device | None:
    """The token's device with its user, in one statement (every API request asks)."""
    return db.session.scalar(
        select(Device)
        .options(joinedload(Device.user))
        .where(Device.token_hash == hash_token(token))
    )
