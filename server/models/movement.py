"""The movement's catalogue: pillars, activity types, phases.

Each activity type declares the extra quantities it asks for (a JSON list of quantity
specs, validated by :mod:`schemas.catalogue`), so a new kind of figure — trees planted,
leaflets, dossiers by field — needs an admin's edit, not a migration.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, NFCString


class Pillar(db.Model):
    __tablename__ = "pillars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(NFCString(200))
    name_en: Mapped[str] = mapped_column(NFCString(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class ActivityType(db.Model):
    __tablename__ = "activity_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(NFCString(300))
    name_en: Mapped[str] = mapped_column(NFCString(300))
    pillar_id: Mapped[int] = mapped_column(ForeignKey("pillars.id"), index=True)
    quantities: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    pillar: Mapped[Pillar] = relationship(lazy="joined")


class Phase(db.Model):
    __tablename__ = "phases"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(NFCString(200))
    name_en: Mapped[str] = mapped_column(NFCString(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
