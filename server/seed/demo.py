"""A deterministic Cao Bằng demo: the unit tree with its history, users of every role, and a
few thousand activities over the 2015–2017 phase and the twelve months before ``today``.

The screens that matter — figures rolled up the tree as it was, units that have not
reported, review queues — only show something with history and volume behind them, and
testers need the same data on every machine. So every entity is keyed (units by code,
users by username, activities by a name-based UUID), every random choice comes from one
private ``random.Random(2015)`` drawn in a fixed order, and each tree change is skipped
when already made: running the seed twice adds nothing.

The data are in ``data/`` (the tree and its history in ``places.toml``, described in
:mod:`server.seed.places`; the accounts in ``users.toml``; how activities are drawn in
``activities.toml``); :mod:`server.seed.tree` builds the tree and
:mod:`server.seed.planner` draws the activities. Nothing here commits: the caller does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from sync.records import ServerChanges

from ..activities.registry import activities_collection
from ..auth.passwords import hash_password
from ..extensions import db
from ..models import Activity, Role, Unit, User, normalise_username
from . import load_data
from .catalogue import seed_catalogue
from .planner import Planner as _Planner  # the names _seed_activities knows them by
from .tree import Tree as _Tree
from .tree import replay_history

DEMO_PASSWORD = "sodoan-demo-2015"
FLUSH_EVERY = 500


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    unit_code: str
    full_name: str


DEMO_USERS: tuple[DemoUser, ...] = tuple(
    DemoUser(u["username"], Role(u["role"]), u["unit"], u["full_name"])
    for u in load_data("users")["users"]
)


def seed_demo(today: date) -> dict[str, int]:
    """Add whatever part of the demo is missing; return how many of each thing was added.

    ``today`` is where "the last twelve months" end, and no change dated after it is made.
    """
    added = dict(seed_catalogue())
    tree = _Tree()
    tree.build()
    changes = replay_history(tree, today)
    users = _seed_users(tree)
    activities = _seed_activities(tree, today)
    added.update(units=tree.created, users=users, activities=activities, tree_changes=changes)
    return added


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, current unit name) of the demo accounts; needs an app context."""
    codes = {u.unit_code for u in DEMO_USERS}
    names = dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
    return [(u.username, u.role.value, names.get(u.unit_code, u.unit_code)) for u in DEMO_USERS]


# --- users --------------------------------------------------------------------------------


def _seed_users(tree: _Tree) -> int:
    """The demo accounts that are missing; each hash is real Argon2, hence so few users."""
    wanted = [normalise_username(u.username) for u in DEMO_USERS]
    have = set(db.session.scalars(select(User.username).where(User.username.in_(wanted))))
    added = 0
    for demo in DEMO_USERS:
        unit = tree.units.get(demo.unit_code)
        if normalise_username(demo.username) in have or unit is None or not unit.is_open:
            continue
        db.session.add(
            User(
                username=demo.username,
                full_name=demo.full_name,
                role=demo.role.value,
                unit_id=unit.id,
                password_hash=hash_password(DEMO_PASSWORD),
            )
        )
        added += 1
    db.session.flush()
    return added


def _seed_activities(tree: _Tree, today: date) -> int:
    """Insert the planned activities whose ids are not taken yet.

    The whole plan is always drawn, so that what an id stands for never depends on what
    the database already holds.
    """
    plans = _Planner(tree, today).plan()
    existing: set[uuid.UUID] = set()
    ids = [p["id"] for p in plans]
    for i in range(0, len(ids), FLUSH_EVERY):
        chunk = ids[i : i + FLUSH_EVERY]
        existing.update(db.session.scalars(select(Activity.id).where(Activity.id.in_(chunk))))
    new = sorted(
        (p for p in plans if p["id"] not in existing), key=lambda p: (p["created_at"], p["id"])
    )
    if not new:
        return 0
    # Through the engine, as any server-side change: numbered in the server's receiving
    # order (as real pushes would be), the sync bookkeeping set by it alone.
    changes = ServerChanges(db.session(), activities_collection())
    for plan in new:
        changes.create(Activity(**plan))
    changes.number()
    return len(new)
