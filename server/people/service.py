"""Creating people and changing their role or unit: one way for the dashboard's pages and
for ``flask --app server create-user`` alike, audited either way.

Who may do what to whom is the caller's question (the pages ask the policy; the command
line is an administrator's own shell); what makes an account valid is answered here.
"""

from __future__ import annotations

from sqlalchemy import select

from schemas.text import clean

from .. import audit
from ..auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from ..extensions import db
from ..models import User, normalise_username
from ..models.people import USERNAME_RULE_EN, USERNAME_RULE_VI, username_allowed


class PersonError(ValueError):
    """An account that cannot be made as asked; ``vi`` says why (``en`` too)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(f"{vi} / {en}")
        self.vi, self.en = vi, en


def create_person(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    role: str,
    unit_id: int,
    password: str | None = None,
) -> User:
    """A new account in ``unit_id``; without a password (None), its owner signs in with
    an enrolment code. ``actor`` is None on the command line."""
    name = normalise_username(username)
    if not username_allowed(name):
        raise PersonError(USERNAME_RULE_VI, USERNAME_RULE_EN)
    full_name = clean(full_name).strip()
    if not full_name:
        raise PersonError("Vui lòng nhập họ tên", "the full name is empty")
    if db.session.scalar(select(User.id).where(User.username == name)):
        raise PersonError("Tên đăng nhập đã tồn tại", f"username {username!r} already exists")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise PersonError(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự",
            f"password too short (at least {MIN_PASSWORD_LENGTH})",
        )
    person = User(
        username=name,
        full_name=full_name,
        role=role,
        unit_id=unit_id,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(person)
    db.session.flush()
    audit.record(
        "user_created",
        actor=actor,
        target=("user", person.id),
        role=person.role,
        unit_id=person.unit_id,
    )
    return person


def change_person(actor: User, person: User, *, role: str, unit_id: int) -> None:
    """A new role or home unit (or both), each change in the audit log."""
    if role != person.role:
        audit.record(
            "role_changed", actor=actor, target=("user", person.id), old=person.role, new=role
        )
        person.role = role
    if unit_id != person.unit_id:
        audit.record(
            "unit_changed",
            actor=actor,
            target=("user", person.id),
            old=person.unit_id,
            new=unit_id,
        )
        person.unit_id = unit_id
