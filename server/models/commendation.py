"""Commendation: exemplary members and models proposed for praise (biểu dương, tôn vinh)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .activities import Activity
from .types import NFCString, NFCText, UTCDateTime, utcnow
from .units import Unit

nomination_activities = Table(
    "nomination_activities",
    db.metadata,
    Column("nomination_id", ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True),
    Column("activity_id", Uuid(), ForeignKey("activities.id"), primary_key=True),
)

NOMINATION_KINDS = {"member": ("Cá nhân", "Member"), "model": ("Mô hình", "Model")}


class Nomination(db.Model):
    """A unit proposes a member or a model for a period, with the reason and the
    activities that back it."""

    __tablename__ = "nominations"
    __table_args__ = (
        CheckConstraint("kind IN ('member','model')", name="kind_known"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(NFCString(200))
    reason: Mapped[str] = mapped_column(NFCText())
    period_code: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship()
    activities: Mapped[list[Activity]] = relationship(
        secondary=nomination_activities, order_by=Activity.starts_on
    )
