"""Changing the unit tree over time, and asking it questions.

History is append-only: a move, merge, rename or close takes effect on a date and closes
the rows that held until then instead of rewriting them, so reports for earlier periods do
not change. A change may be back-dated (the 2025 reform is entered after the fact) but not
to before the last change of the units it touches: that would rewrite history.
"""

from __future__ import annotations

from datetime import date

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from schemas.text import clean

from ..extensions import db
from ..formatting import day
from ..models import BEGINNING, Unit, UnitClosure, UnitEvent, UnitKind, UnitName, User

#: Sent as a move or a closure changes the tree from a date, before the closure rows
#: change: ``sender`` is the session, with ``unit_ids`` (the units whose ancestors change),
#: ``on`` (the date) and ``left`` (the parent they leave, if any). Whatever is derived
#: from the tree by date subscribes (the report totals, ``server/reports/deltas.py``); the
#: tree imports none of it.
tree_changed = Namespace().signal("tree-changed")


class TreeError(ValueError):
    """A tree change that would break the tree or its history; the message says why, in
    the language of the page that asked (Vietnamese on the command line)."""


def _back_dated(last: date, on: date) -> str:
    return _(
        "Đã có thay đổi ngày %(last)s; không thể ghi lùi về %(on)s", last=day(last), on=day(on)
    )


def _valid_on(on: date | None) -> ColumnElement[bool]:
    if on is None:
        return UnitClosure.valid_to.is_(None)
    return and_(
        UnitClosure.valid_from <= on,
        or_(UnitClosure.valid_to.is_(None), UnitClosure.valid_to > on),
    )


def subtree_ids(unit_id: int, on: date | None = None) -> Select[tuple[int]]:
    """Ids of the unit and everything below it, today or on a past date (one indexed query)."""
    return select(UnitClosure.descendant_id).where(
        UnitClosure.ancestor_id == unit_id, _valid_on(on)
    )


def ancestor_ids(unit_id: int, on: date | None = None) -> Select[tuple[int]]:
    """Ids of the unit and the units above it, nearest first."""
    return (
        select(UnitClosure.ancestor_id)
        .where(UnitClosure.descendant_id == unit_id, _valid_on(on))
        .order_by(UnitClosure.distance)
    )


def in_subtree_when(
    ancestor_id: int,
    unit_column: InstrumentedAttribute[int],
    date_column: InstrumentedAttribute[date],
) -> ColumnElement[bool]:
    """A filter: the row's unit was in ``ancestor_id``'s subtree *on the row's own date*.

    This is how a figure for 2016 rolls up the tree as it was in 2016.
    """
    return (
        select(UnitClosure.id)
        .where(
            UnitClosure.ancestor_id == ancestor_id,
            UnitClosure.descendant_id == unit_column,
            UnitClosure.valid_from <= date_column,
            or_(UnitClosure.valid_to.is_(None), UnitClosure.valid_to > date_column),
        )
        .exists()
    )


def is_within(unit_id: int, ancestor_id: int, on: date | None = None) -> bool:
    row = db.session.scalar(
        select(UnitClosure.id).where(
            UnitClosure.ancestor_id == ancestor_id,
            UnitClosure.descendant_id == unit_id,
            _valid_on(on),
        )
    )
    return row is not None


def name_on(unit: Unit, on: date) -> str:
    """The unit's name on a date (its current name if the date is outside its life)."""
    name = db.session.scalar(
        select(UnitName.name).where(
            UnitName.unit_id == unit.id,
            UnitName.valid_from <= on,
            or_(UnitName.valid_to.is_(None), UnitName.valid_to > on),
        )
    )
    return name or unit.name


def _event(unit: Unit, action: str, on: date, actor: User | None, **detail: object) -> None:
    db.session.add(
        UnitEvent(
            unit_id=unit.id,
            action=action,
            effective_on=on,
            detail=detail,
            actor_id=actor.id if actor else None,
        )
    )


def _tree_changed(unit_ids: list[int], on: date, left: int | None) -> None:
    """Whatever was derived from these units' ancestry from ``on`` (and that of the
    parent ``left`` they leave) is out of date."""
    tree_changed.send(db.session(), unit_ids=unit_ids, on=on, left=left)


def _require_open(unit: Unit, on: date, role: str) -> None:
    if unit.closed_on is not None:
        raise TreeError(
            _(
                "%(role)s %(code)s đã giải thể từ %(on)s",
                role=role,
                code=unit.code,
                on=day(unit.closed_on),
            )
        )
    if on < unit.opened_on:
        raise TreeError(
            _("%(role)s %(code)s chưa thành lập vào %(on)s", role=role, code=unit.code, on=day(on))
        )


def _last_change(unit_ids: Select[tuple[int]]) -> date:
    last = db.session.scalar(
        select(func.max(UnitClosure.valid_from)).where(
            UnitClosure.descendant_id.in_(unit_ids), UnitClosure.valid_to.is_(None)
        )
    )
    return last or BEGINNING


def _name(value: str) -> str:
    """A unit's name as stored (:func:`schemas.text.clean`), refused when nothing visible
    is left of it."""
    name = clean(value).strip()
    if not name:
        raise TreeError(_("Vui lòng nhập tên đơn vị"))
    return name


def create_unit(
    *,
    code: str,
    name: str,
    kind: UnitKind | str,
    parent: Unit | None,
    border_area: bool = False,
    opened_on: date = BEGINNING,
    actor: User | None = None,
) -> Unit:
    """Add a unit under ``parent`` (None only for a root such as a provincial union)."""
    kind = UnitKind(kind)
    name = _name(name)
    if parent is not None:
        _require_open(parent, opened_on, _("Đơn vị cấp trên"))
    unit = Unit(
        code=code,
        name=name,
        kind=kind.value,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        border_area=border_area,
        opened_on=opened_on,
    )
    db.session.add(unit)
    db.session.flush()
    rows = [
        UnitClosure(
            ancestor_id=unit.id,
            descendant_id=unit.id,
            distance=0,
            valid_from=opened_on,
            valid_to=None,
        )
    ]
    if parent is not None:
        # The new unit inherits the parent's ancestry from its opening day on.
        parent_rows = db.session.scalars(
            select(UnitClosure).where(
                UnitClosure.descendant_id == parent.id,
                or_(UnitClosure.valid_to.is_(None), UnitClosure.valid_to > opened_on),
            )
        ).all()
        rows += [
            UnitClosure(
                ancestor_id=r.ancestor_id,
                descendant_id=unit.id,
                distance=r.distance + 1,
                valid_from=max(r.valid_from, opened_on),
                valid_to=r.valid_to,
            )
            for r in parent_rows
        ]
    db.session.add_all(rows)
    db.session.add(UnitName(unit_id=unit.id, name=unit.name, valid_from=opened_on))
    _event(
        unit,
        "created",
        opened_on,
        actor,
        code=code,
        name=unit.name,
        parent=parent.code if parent else None,
    )
    db.session.flush()
    return unit


def rename_unit(unit: Unit, new_name: str, on: date, actor: User | None = None) -> None:
    _require_open(unit, on, _("Đơn vị"))
    new_name = _name(new_name)
    current = db.session.scalars(
        select(UnitName).where(UnitName.unit_id == unit.id, UnitName.valid_to.is_(None))
    ).one()
    if on < current.valid_from:
        raise TreeError(_("Không thể đổi tên trước ngày %(on)s", on=day(current.valid_from)))
    old = unit.name
    if on == current.valid_from:
        current.name = new_name
    else:
        current.valid_to = on
        db.session.add(UnitName(unit_id=unit.id, name=new_name, valid_from=on))
    unit.name = new_name
    _event(unit, "renamed", on, actor, old=old, new=unit.name)
    db.session.flush()


def move_unit(unit: Unit, new_parent: Unit, on: date, actor: User | None = None) -> None:
    """Re-attach ``unit`` and its whole subtree under ``new_parent`` from ``on``."""
    _require_open(unit, on, _("Đơn vị"))
    _require_open(new_parent, on, _("Đơn vị cấp trên mới"))
    moving = subtree_ids(unit.id)
    if is_within(new_parent.id, unit.id):
        raise TreeError(_("Không thể chuyển một đơn vị vào cấp dưới của chính nó"))
    last = _last_change(moving)
    if on < last:
        raise TreeError(_back_dated(last, on))
    old_parent = db.session.get(Unit, unit.parent_id) if unit.parent_id else None

    subtree = db.session.execute(
        select(UnitClosure.descendant_id, UnitClosure.distance).where(
            UnitClosure.ancestor_id == unit.id, UnitClosure.valid_to.is_(None)
        )
    ).all()
    ids = [d for d, _ in subtree]
    links_out = and_(
        UnitClosure.descendant_id.in_(ids),
        UnitClosure.ancestor_id.not_in(ids),
        UnitClosure.valid_to.is_(None),
    )
    _tree_changed(ids, on, unit.parent_id)
    # Links that begin today never held: drop them rather than keep an empty interval.
    db.session.execute(delete(UnitClosure).where(links_out, UnitClosure.valid_from == on))
    db.session.execute(update(UnitClosure).where(links_out).values(valid_to=on))
    above = db.session.execute(
        select(UnitClosure.ancestor_id, UnitClosure.distance).where(
            UnitClosure.descendant_id == new_parent.id, UnitClosure.valid_to.is_(None)
        )
    ).all()
    db.session.add_all(
        UnitClosure(ancestor_id=a, descendant_id=d, distance=ad + 1 + dd, valid_from=on)
        for a, ad in above
        for d, dd in subtree
    )
    shift = new_parent.depth + 1 - unit.depth
    db.session.execute(update(Unit).where(Unit.id.in_(ids)).values(depth=Unit.depth + shift))
    db.session.execute(update(Unit).where(Unit.id == unit.id).values(parent_id=new_parent.id))
    db.session.expire_all()
    _event(
        unit,
        "moved",
        on,
        actor,
        old_parent=old_parent.code if old_parent else None,
        new_parent=new_parent.code,
    )
    db.session.flush()


def close_unit(unit: Unit, on: date, actor: User | None = None) -> None:
    """Close a unit that has nothing left under it and no active members."""
    _require_open(unit, on, _("Đơn vị"))
    children = db.session.scalar(
        select(func.count())
        .select_from(Unit)
        .where(Unit.parent_id == unit.id, Unit.closed_on.is_(None))
    )
    if children:
        raise TreeError(
            _(
                "%(code)s còn %(count)s đơn vị trực thuộc; hãy chuyển hoặc giải thể trước",
                code=unit.code,
                count=children,
            )
        )
    members = db.session.scalar(
        select(func.count()).select_from(User).where(User.unit_id == unit.id, User.is_active)
    )
    if members:
        raise TreeError(
            _("%(code)s còn %(count)s tài khoản đang hoạt động", code=unit.code, count=members)
        )
    last = _last_change(
        select(UnitClosure.descendant_id).where(UnitClosure.descendant_id == unit.id)
    )
    if on < last:
        raise TreeError(_back_dated(last, on))
    own = and_(UnitClosure.descendant_id == unit.id, UnitClosure.valid_to.is_(None))
    _tree_changed([unit.id], on, unit.parent_id)
    db.session.execute(update(UnitClosure).where(own).values(valid_to=on))
    db.session.execute(
        update(UnitName)
        .where(UnitName.unit_id == unit.id, UnitName.valid_to.is_(None))
        .values(valid_to=on)
    )
    unit.closed_on = on
    _event(unit, "closed", on, actor)
    db.session.flush()


def merge_unit(source: Unit, target: Unit, on: date, actor: User | None = None) -> None:
    """Fold ``source`` into ``target``: its units and people move over, then it closes.

    Its past activities stay its own, so old reports still show them where they were.
    """
    if source.id == target.id:
        raise TreeError(_("Không thể sáp nhập một đơn vị vào chính nó"))
    _require_open(target, on, _("Đơn vị nhận"))
    if is_within(target.id, source.id):
        raise TreeError(_("Không thể sáp nhập vào cấp dưới của chính nó"))
    for child in db.session.scalars(
        select(Unit).where(Unit.parent_id == source.id, Unit.closed_on.is_(None))
    ).all():
        move_unit(child, target, on, actor)
    db.session.execute(update(User).where(User.unit_id == source.id).values(unit_id=target.id))
    close_unit(source, on, actor)
    source.merged_into_id = target.id
    _event(source, "merged", on, actor, into=target.code)
    db.session.flush()
