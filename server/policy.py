"""Who may see and change what — decided here only, and called by the API, the sync
collections, the dashboard and the exports alike.

A user's scope is the current subtree of their home unit. Branch members and secretaries
write their branch's activities; staff read their subtree (and review, later); admins
look after the catalogue and the tree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Select

from .extensions import db
from .models import Role, User
from .units.service import subtree_ids

ACTIVITY_WRITERS = frozenset({Role.BRANCH_MEMBER, Role.BRANCH_SECRETARY})


def visible_unit_ids(user: User) -> Select[tuple[int]]:
    """Units whose records the user may read (as a subquery)."""
    return subtree_ids(user.unit_id)


def writable_unit_ids(user: User) -> set[int]:
    """Units whose activities the user may create, change and delete."""
    if not user.is_active or Role(user.role) not in ACTIVITY_WRITERS:
        return set()
    return set(db.session.scalars(subtree_ids(user.unit_id)))


def can_write_activities_of(user: User, unit_id: int) -> bool:
    return unit_id in writable_unit_ids(user)


@dataclass(frozen=True)
class ReadScope:
    """A user and the units whose records they may read, read once per request (a pull
    needs them for its cursor's scope tag, its query and its reference data)."""

    user: User
    unit_ids: tuple[int, ...]


def read_scope(user: User) -> ReadScope:
    return ReadScope(user, tuple(sorted(db.session.scalars(visible_unit_ids(user)))))


def scope_tag(user: User, scope: ReadScope | None = None) -> str:
    """Eight hex digits that change whenever what the user may see changes (their role,
    home unit, or the units under it), so a device's cursor from before is refused."""
    ids = sorted(scope.unit_ids if scope else db.session.scalars(subtree_ids(user.unit_id)))
    digest = hashlib.sha256(f"{user.role}:{user.unit_id}:{ids}".encode()).hexdigest()
    return digest[:8]


#: Who outranks whom when managing people.
RANK = {
    Role.BRANCH_MEMBER: 0,
    Role.BRANCH_SECRETARY: 1,
    Role.UNIT_STAFF: 2,
    Role.PROVINCIAL_STAFF: 3,
    Role.ADMIN: 4,
}


def outranks(actor: User, target: User) -> bool:
    """The rank half of :func:`can_manage_user`, for lists already limited to the
    actor's subtree (one query for the list instead of one per person)."""
    return (
        actor.is_active
        and actor.id != target.id
        and RANK[Role(actor.role)] > RANK[Role(target.role)]
    )


def can_manage_user(actor: User, target: User) -> bool:
    """Enrol, revoke devices of, and deactivate ``target``: a secretary for the members of
    their branch, staff for people below them in their subtree, admins for anyone else."""
    if not outranks(actor, target):
        return False
    if Role(actor.role) == Role.ADMIN:
        return True
    return target.unit_id in set(db.session.scalars(subtree_ids(actor.unit_id)))


def manages_people(user: User) -> bool:
    """Whether the people pages are for this user at all."""
    return user.is_active and RANK[Role(user.role)] >= RANK[Role.BRANCH_SECRETARY]


def assignable_roles(actor: User) -> list[Role]:
    """Roles the actor may give: strictly below their own."""
    return [r for r in Role if RANK[r] < RANK[Role(actor.role)]]


def can_place_in(actor: User, unit_id: int) -> bool:
    """Whether the actor may put a person in this unit (their own subtree)."""
    if Role(actor.role) == Role.ADMIN:
        return True
    return unit_id in set(db.session.scalars(subtree_ids(actor.unit_id)))


def manages_units(user: User) -> bool:
    return user.is_active and Role(user.role) in (
        Role.UNIT_STAFF,
        Role.PROVINCIAL_STAFF,
        Role.ADMIN,
    )


def can_manage_unit(actor: User, unit_id: int) -> bool:
    """Staff change the units strictly below their own; admins change any unit."""
    if not manages_units(actor):
        return False
    if Role(actor.role) == Role.ADMIN:
        return True
    return unit_id != actor.unit_id and unit_id in set(
        db.session.scalars(subtree_ids(actor.unit_id))
    )


#: Who reviews activities: staff of the units above the branches.
REVIEWERS = frozenset({Role.UNIT_STAFF, Role.PROVINCIAL_STAFF})


def reviews(user: User) -> bool:
    """Whether the review pages are for this user at all."""
    return user.is_active and Role(user.role) in REVIEWERS


def reviewable_unit_ids(user: User) -> Select[tuple[int]]:
    """Units whose activities the user may verify or return (as a subquery): staff
    review their whole subtree as it stands today."""
    return subtree_ids(user.unit_id)


def can_review(user: User, unit_id: int) -> bool:
    return reviews(user) and unit_id in set(db.session.scalars(reviewable_unit_ids(user)))


#: Who reads consolidated figures: secretaries (their branch), staff (their subtree),
#: admins (the province they sit in, like staff).
REPORT_READERS = frozenset(
    {Role.BRANCH_SECRETARY, Role.UNIT_STAFF, Role.PROVINCIAL_STAFF, Role.ADMIN}
)


def reads_reports(user: User) -> bool:
    return user.is_active and Role(user.role) in REPORT_READERS


def can_read_reports_of(user: User, unit_id: int) -> bool:
    """Figures of a unit are for readers whose subtree (today) holds it. The same rule
    guards the pages and every export."""
    return reads_reports(user) and unit_id in set(db.session.scalars(subtree_ids(user.unit_id)))


def sets_schedules(user: User, unit_id: int) -> bool:
    """Staff set when the branches below a unit of their subtree report."""
    return Role(user.role) in (Role.UNIT_STAFF, Role.PROVINCIAL_STAFF, Role.ADMIN) and (
        can_read_reports_of(user, unit_id)
    )
