"""Diacritic-insensitive search over the folded columns.

Each searchable model keeps a folded copy of its text (see :func:`schemas.text.fold`), so
"Cao Bang", "cao bằng" and "CAO BẰNG" all find "Cao Bằng" with a plain ``LIKE`` that works
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from schemas.text import fold

from .extensions import db
from .models import Activity, Unit
from .units.service import subtree_ids


def matches(column: InstrumentedAttribute[str], query: str) -> ColumnElement[bool]:
    """``column`` (a folded column) contains every word of ``query``, in any order."""
    words = fold(query).split()
    conditions = [
        column.like(
            "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", escape="\\"
        )
        for w in words
    ]
    return and_(*conditions) if conditions else true()


def find_units(query: str, limit: int = 50) -> list[Unit]:
    return list(
        db.session.scalars(
            select(Unit).where(matches(Unit.name_fold, query)).order_by(Unit.name_fold).limit(limit)
        )
    )


def find_activities(query: str, within_unit_id: int, limit: int = 50) -> list[Activity]:
    """Live (not deleted) activities of a unit's current subtree matching ``query``."""
    return list(
        db.session.scalars(
            select(Activity)
            .where(
                Activity.unit_id.in_(subtree_ids(within_unit_id)),
                Activity.deleted_at.is_(None),
                matches(Activity.search_fold, query),
            )
            .order_by(Activity.starts_on.desc())
            .limit(limit)
        )
    )
