"""Signing in: the rules, apart from the HTTP that carries them."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import User, normalise_username
from ..models.types import utcnow
from .passwords import hash_password, needs_rehash, verify_password


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user
