"""``Authorization: Bearer <device token>`` on the API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from sqlalchemy import update

from ..auth.devices import device_for_token
from ..database import begin_writing
from ..errors import ApiError
from ..extensions import db
from ..models import Device, User
from ..models.types import utcnow

#: last_seen_at is written at most this often per device (a poll every minute should not
#: be a write every minute).
SEEN_RESOLUTION_SECONDS = 300


def device_required(
    view: Callable[..., Any] | None = None, *, keep_reading: bool = False
) -> Callable[..., Any]:
    """Require a valid device token; ``g.device_id`` and ``g.user_id`` name the caller.

    The device and its user are read in one statement. By default the transaction is then
    ended, since a push must start its own (see sync.push). ``keep_reading=True`` is for
    views that only read, and writes only small things of their own (a pull): they go on
    in the same transaction, so the device and user already loaded are not read again.
    """
    if view is None:
        return functools.partial(device_required, keep_reading=keep_reading)

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_token", "A device token is required")
        device = device_for_token(token.strip())
        if device is None:
            raise ApiError(401, "invalid_token", "Unknown device token")
        if device.revoked_at is not None or not device.user.is_active:
            raise ApiError(401, "device_revoked", "This device's access was revoked")
        g.device_id, g.user_id = device.id, device.user_id
        now = utcnow()
        if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > (
            SEEN_RESOLUTION_SECONDS
        ):
            # A write of its own, as a writer from the start: on SQLite the read above
            # cannot become a write once another device's push has committed.
            begin_writing(db.session())
            db.session.execute(
                update(Device).where(Device.id == g.device_id).values(last_seen_at=now)
            )
            db.session.commit()
        elif not keep_reading:
            # End the read transaction: a push must start its own (see sync.push).
            db.session.rollback()
        return view(*args, **kwargs)

    return wrapped


def current_user() -> User:
    """The signed-in device's user, loaded in the current transaction."""
    return db.session.get(User, g.user_id)
