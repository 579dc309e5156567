"""The unit tree and its dated history.

The tree is stored as a *dated closure table*: one row per (ancestor, descendant) pair for
the time it held. "The subtree of X today" and "the subtree of X on 1 March 2016" are each
one indexed query, and an activity rolls up to the ancestors its unit had on the
activity's date — so a 2016 report still adds up the way the tree was in 2016, after the
2025 reform moved, merged, renamed and closed units.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from schemas.text import clean, fold

from ..extensions import db
from .types import JSONType, NFCString, UTCDateTime, utcnow


class UnitKind(StrEnum):
    PROVINCE = "province"  # Tỉnh Đoàn
    DISTRICT = "district"  # Huyện Đoàn / Thành Đoàn (until the 2025 reform)
    BLOC = "bloc"  # Đoàn Khối, Đoàn trực thuộc (affiliated unions)
    COMMUNE = "commune"  # Đoàn xã / phường / thị trấn (a grassroots union of a place)
    GRASSROOTS = "grassroots"  # Đoàn cơ sở of an agency, school, company, force
    BRANCH = "branch"  # Chi đoàn: the smallest unit, whose members record activities


UNIT_KIND_LABELS = {
    UnitKind.PROVINCE: ("Tỉnh Đoàn", "Provincial union"),
    UnitKind.DISTRICT: ("Huyện/Thành Đoàn", "District/city union"),
    UnitKind.BLOC: ("Đoàn trực thuộc", "Affiliated union"),
    UnitKind.COMMUNE: ("Đoàn xã/phường", "Commune union"),
    UnitKind.GRASSROOTS: ("Đoàn cơ sở", "Grassroots union"),
    UnitKind.BRANCH: ("Chi đoàn", "Branch"),
}

#: Before any recorded history: the start date of units that existed when the system began.
BEGINNING = date(2000, 1, 1)


class Unit(db.Model):
    """A unit's identity and its *current* state; the past lives in the dated tables."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('province','district','bloc','commune','grassroots','branch')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(NFCString(200))
    name_fold: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    border_area: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @validates("name")
    def _keep_fold(self, key: str, value: str) -> str:
        value = clean(value)
        self.name_fold = fold(value)
        return value

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name!r}>"


class UnitClosure(db.Model):
    """``ancestor`` contains ``descendant`` (``distance`` levels down) from ``valid_from``
    (inclusive) to ``valid_to`` (exclusive; NULL while it still holds).

    Every unit is its own ancestor at distance 0, so "a unit and its subtree" needs no union.
    """

    __tablename__ = "unit_closure"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_ordered"),
        Index("ix_unit_closure_ancestor", "ancestor_id", "valid_to", "descendant_id"),
        Index("ix_unit_closure_descendant", "descendant_id", "valid_to", "ancestor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    descendant_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    distance: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class UnitName(db.Model):
    """A unit's name over time (renames after a merge keep the old name for old reports)."""

    __tablename__ = "unit_names"
    __table_args__ = (UniqueConstraint("unit_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(NFCString(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class UnitEvent(db.Model):
    """Append-only story of the tree: created, renamed, moved, merged, closed."""

    __tablename__ = "unit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
