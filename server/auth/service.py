"""Signing in: the rules, apart from the HTTP that carries them."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..database import begin_writing
from ..extensions import db
from ..models import User, normalise_username
from ..models.types import utcnow
from .passwords import hash_password, needs_rehash, verify_password
from .throttle import Attempt


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure).

    Argon2 takes tens of milliseconds on purpose, so the password is checked in a read
    transaction, and only then does a write transaction begin (``begin_writing``: on
    SQLite a reader cannot become a writer once someone else has written, and the write
    lock must not wait on a hash). On success the user is returned in that transaction,
    their sign-in time set; the caller adds what it signs in and commits. On failure the
    caller starts its own transaction to count the failure.
    """
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    verified, user_id = user.password_hash, user.id
    rehashed = hash_password(password) if needs_rehash(verified or "") else None
    begin_writing(db.session())
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.password_hash != verified:
        return None  # deactivated or given a new password in the meantime
    if rehashed is not None:
        user.password_hash = rehashed
    user.last_login_at = utcnow()
    return user


def record_failure(attempt: Attempt, **detail: object) -> None:
    """Count a failed sign-in against its throttle keys and write it to the audit log, in
    a write transaction of its own, committed (the refusal must not undo it)."""
    begin_writing(db.session())
    attempt.failed()
    audit.record("sign_in_failed", **detail)
    db.session.commit()
