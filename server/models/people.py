"""People and the devices they sign in from."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from schemas.text import clean, fold

from ..extensions import db
from .types import NFCString, UTCDateTime, utcnow
from .units import Unit


class Role(StrEnum):
    BRANCH_MEMBER = "branch_member"
    BRANCH_SECRETARY = "branch_secretary"
    UNIT_STAFF = "unit_staff"
    PROVINCIAL_STAFF = "provincial_staff"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.BRANCH_MEMBER: ("Đoàn viên", "Branch member"),
    Role.BRANCH_SECRETARY: ("Bí thư chi đoàn", "Branch secretary"),
    Role.UNIT_STAFF: ("Cán bộ Đoàn cấp trên", "Unit staff"),
    Role.PROVINCIAL_STAFF: ("Cán bộ Tỉnh Đoàn", "Provincial staff"),
    Role.ADMIN: ("Quản trị hệ thống", "Administrator"),
}


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('branch_member','branch_secretary','unit_staff','provincial_staff','admin')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Often a phone number; stored folded (lower-case, NFC) so sign-in is not case-fussy.
    username: Mapped[str] = mapped_column(NFCString(80), unique=True)
    full_name: Mapped[str] = mapped_column(NFCString(120))
    full_name_fold: Mapped[str] = mapped_column(String(120), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Dashboard sessions carry the number they were started under; raising it (sign-out,
    # a new password, deactivation) ends every session of this person at once, on every
    # server, with no session table to read on each page (decision 82).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    unit: Mapped[Unit] = relationship(lazy="joined")

    @validates("username")
    def _normalise_username(self, key: str, value: str) -> str:
        return normalise_username(value)

    @validates("full_name")
    def _keep_fold(self, key: str, value: str) -> str:
        value = clean(value)
        self.full_name_fold = fold(value)
        return value

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


#: What a username may be, once normalised: a phone number or a simple lower-case latin
#: name, 3–32 characters (decision 113). Nothing that looks like another name, nothing
#: invisible, nothing a log or a page could misread.
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
USERNAME_RULE_VI = (
    "Tên đăng nhập gồm 3–32 ký tự: chữ thường không dấu (a–z), chữ số, dấu chấm, "
    "gạch dưới hoặc gạch ngang, bắt đầu bằng chữ hoặc số (ví dụ số điện thoại 0912345678)"
)
USERNAME_RULE_EN = (
    "a username is 3-32 characters: a-z, 0-9, '.', '_' or '-', starting with a letter or a digit"
)


def username_allowed(value: str) -> bool:
    """Whether ``value`` (normalised) fits :data:`USERNAME`."""
    return USERNAME.fullmatch(value) is not None


def normalise_username(value: str) -> str:
    """The one spelling of a username used for storage, look-up and the sign-in limits
    (invisible characters removed, as the column stores it: otherwise "ad\u200bmin" would
    find the account "admin" but be counted apart from it)."""
    return clean(value).strip().casefold()


class Device(db.Model):
    """A phone or browser a user signed in from.

    The id is made by the device itself (a UUID) so the phone can name itself before it
    ever reaches the server; the token is random, shown once and stored only as a hash.
    """

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(NFCString(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the phone last said of its outbox: entries waiting, and since when (its clock,
    # information only) — so staff can tell "did nothing" from "could not sync".
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SignInFailure(db.Model):
    """One failed sign-in, counted under one throttle key for the throttle's window.

    The key is a hash naming what is slowed down: an account from one address, an
    enrolment code, or an address (``server/auth/throttle.py``). Rows older than the
    window are deleted as new ones arrive; the audit log keeps the lasting record.
    """

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
