"""Report totals per unit and day (see server/reports/totals.py for how they are kept).

Derived data, rebuilt from ``activities`` and ``unit_closure`` at will: no foreign keys,
whose checks were most of the cost of writing a million rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

report_totals = Table(
    "report_totals",
    db.metadata,
    Column("unit_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("type_id", Integer, primary_key=True, autoincrement=False),
    Column("activities", Integer, nullable=False),
    Column("verified", Integer, nullable=False),
    Column("members", Integer, nullable=False),
    Column("citizens", Integer, nullable=False),
    Column("hours", Numeric(14, 1), nullable=False),
    Index("ix_report_totals_day", "day"),
)

report_quantities = Table(
    "report_quantities",
    db.metadata,
    Column("unit_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("type_id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(40), primary_key=True),
    Column("amount", Numeric(20, 1), nullable=False),
    Index("ix_report_quantities_day", "day"),
)

report_dirty = Table(
    "report_dirty",
    db.metadata,
    Column("unit_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
)


class ReportingSchedule(db.Model):
    """When a unit's branches are expected to report: every month or quarter, by a day
    of the following month. Set by staff for their unit; the nearest unit above a
    branch that has one decides (none: monthly, by the 20th)."""

    __tablename__ = "reporting_schedules"
    __table_args__ = (
        CheckConstraint("frequency IN ('monthly','quarterly')", name="frequency_known"),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day_in_month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    due_day: Mapped[int] = mapped_column(Integer, default=20)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
