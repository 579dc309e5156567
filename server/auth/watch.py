"""Repeated sign-in failures, read from the audit log for administrators.

The throttle slows guessers down; this lets a person see them: which accounts are being
tried (and whether they exist), from how many addresses, which addresses try many
accounts, and when a limit started holding someone back (``sign_in_throttled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select

from ..extensions import db
from ..models import AuditEvent, User

#: Rows per table: the worst offenders first.
TOP = 50


@dataclass(frozen=True)
class SignInWatch:
    accounts: list[Any]  # username, failures, addresses, last, exists
    addresses: list[Any]  # address, failures, accounts, last
    throttled: list[AuditEvent]


def sign_in_watch(since: datetime) -> SignInWatch:
    username = AuditEvent.detail["username"].as_string()
    failed = (AuditEvent.action == "sign_in_failed") & (AuditEvent.at >= since)
    per_account = (
        select(
            username.label("username"),
            func.count().label("failures"),
            func.count(distinct(AuditEvent.address)).label("addresses"),
            func.max(AuditEvent.at).label("last"),
        )
        .where(failed)
        .group_by(username)
        .subquery()
    )
    accounts = db.session.execute(
        select(per_account, User.id.is_not(None).label("exists"))
        .outerjoin(User, User.username == per_account.c.username)
        .order_by(per_account.c.failures.desc(), per_account.c.last.desc())
        .limit(TOP)
    ).all()
    addresses = db.session.execute(
        select(
            AuditEvent.address,
            func.count().label("failures"),
            func.count(distinct(username)).label("accounts"),
            func.max(AuditEvent.at).label("last"),
        )
        .where(failed)
        .group_by(AuditEvent.address)
        .order_by(func.count().desc(), func.max(AuditEvent.at).desc())
        .limit(TOP)
    ).all()
    throttled = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "sign_in_throttled", AuditEvent.at >= since)
            .order_by(AuditEvent.at.desc())
            .limit(TOP * 2)
        )
    )
    return SignInWatch(accounts, addresses, throttled)
