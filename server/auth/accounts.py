"""Enrolment codes, lost phones, passwords, deactivation: the account rules apart from HTTP."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from .. import audit
from ..extensions import db
from ..models import Device, EnrolmentCode, User
from ..models.types import utcnow
from .devices import issue_token
from .passwords import hash_password

#: Unambiguous letters and digits (no 0/O, 1/I/L), easy to read aloud and type on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 3
ENROLMENT_TTL = timedelta(hours=72)


def code_hash(code: str) -> str:
    """The stored form of a code, the same however it was typed (case, dashes, spaces)."""
    canonical = "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_enrolment_code(actor: User, target: User) -> tuple[str, EnrolmentCode]:
    """A one-time code for ``target`` (shown once: only its hash is kept)."""
    code = "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS)
    )
    row = EnrolmentCode(
        user_id=target.id,
        code_hash=code_hash(code),
        created_by_id=actor.id,
        expires_at=utcnow() + ENROLMENT_TTL,
    )
    db.session.add(row)
    audit.record(
        "enrolment_code_created",
        actor=actor,
        target=("user", target.id),
        expires_at=row.expires_at.isoformat(),
    )
    return code, row


def redeem_enrolment_code(code: str, device_id: uuid.UUID, name: str) -> tuple[User, str] | None:
    """Sign a device in with a code: (user, token), or None if the code is unknown, used or
    expired (one answer for all three)."""
    row = db.session.scalar(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash(code)).with_for_update()
    )
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    token = issue_token(user, device_id, name)
    row.used_at = now
    row.used_by_device_id = device_id
    audit.record(
        "device_enrolled",
        actor=user,
        device_id=device_id,
        target=("user", user.id),
        method="enrolment_code",
    )
    return user, token


def revoke_device(actor: User, device: Device) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(
            "device_revoked",
            actor=actor,
            device_id=device.id,
            target=("user", device.user_id),
            device_name=device.name,
        )


def end_sessions(user: User) -> None:
    """End every dashboard session of ``user``, on every server (see session.py): a cookie
    copied before this no longer signs anyone in."""
    user.session_epoch = User.session_epoch + 1


def set_password(actor: User, target: User, password: str, *, hashed: str | None = None) -> None:
    """Give ``target`` a new password and end their dashboard sessions (the caller starts
    a new one for the person who changed it). ``hashed``: the hash, made beforehand so
    that Argon2 does not run inside the caller's write transaction."""
    target.password_hash = hashed or hash_password(password)
    end_sessions(target)
    audit.record("password_changed", actor=actor, target=("user", target.id))


def deactivate_user(actor: User, target: User) -> int:
    """Deactivate ``target``, end their dashboard sessions and revoke every device of
    theirs; return how many devices."""
    target.is_active = False
    end_sessions(target)
    now = utcnow()
    count = (
        db.session.execute(
            update(Device)
            .where(Device.user_id == target.id, Device.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        or 0
    )
    audit.record("user_deactivated", actor=actor, target=("user", target.id), devices_revoked=count)
    return count
