"""Small builders for tests: a unit tree of any shape, users, activities."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from server.auth.passwords import hash_password
from server.extensions import db
from server.models import BEGINNING, Activity, ActivityType, Unit, UnitKind, User
from server.seed.catalogue import seed_catalogue
from server.units.service import create_unit
from sync.changes import allocate

PASSWORD = "mat-khau-thu-nghiem"
_HASH: dict[str, str] = {}


def unit(
    code: str,
    parent: Unit | None = None,
    kind: str = UnitKind.BRANCH,
    name: str | None = None,
    opened_on: date = BEGINNING,
    **kw,
) -> Unit:
    return create_unit(
        code=code,
        name=name or f"Đơn vị {code}",
        kind=kind,
        parent=parent,
        opened_on=opened_on,
        **kw,
    )


def chain(depth: int, prefix: str = "U") -> list[Unit]:
    """A straight line of ``depth + 1`` units: root, its child, its grandchild, …"""
    units = [unit(f"{prefix}0", None, UnitKind.PROVINCE)]
    for level in range(1, depth + 1):
        units.append(unit(f"{prefix}{level}", units[-1], UnitKind.BRANCH))
    return units


def user(username: str, unit: Unit, role: str = "branch_member", **kw) -> User:
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = hash_password(PASSWORD)
    u = User(
        username=username,
        full_name=kw.pop("full_name", f"Người dùng {username}"),
        role=role,
        unit_id=unit.id,
        password_hash=_HASH[PASSWORD],
        **kw,
    )
    db.session.add(u)
    db.session.flush()
    return u


def activity_type(code: str = "thu_bay_tinh_nguyen") -> ActivityType:
    if db.session.scalar(select(ActivityType.id).limit(1)) is None:
        seed_catalogue()
    return db.session.scalars(select(ActivityType).where(ActivityType.code == code)).one()


def activity(unit: Unit, on: date, title: str = "Hoạt động", **kw) -> Activity:
    now = datetime.now(UTC)
    a = Activity(
        id=kw.pop("id", uuid.uuid4()),
        unit_id=unit.id,
        type_id=kw.pop("type_id", None) or activity_type().id,
        title=title,
        starts_on=on,
        ends_on=kw.pop("ends_on", on),
        change_seq=allocate(db.session)[0],
        created_at=now,
        updated_at=now,
        **kw,
    )
    db.session.add(a)
    db.session.flush()
    return a
