"""Report totals per unit and day (see server/reports/totals.py for how they are kept).

Derived data, rebuilt from ``activities`` and ``unit_closure`` at will: no foreign keys,
whose checks were most of the cost of writing a million rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow

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
    # Of ``activities``, those with a stored photo (``Activity.proven``, decision 191).
    Column("proven", Integer, nullable=False, server_default=text("0")),
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

#: When a row was written, by the database's clock: how long the oldest change has waited
#: for the totals worker, which report pages show (decision 56).
_SINCE = {"nullable": False, "server_default": text("CURRENT_TIMESTAMP")}

report_dirty = Table(
    "report_dirty",
    db.metadata,
    Column("unit_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("marked_at", UTCDateTime(), **_SINCE),
)

# What activity writes changed in the totals since the last refresh, per (unit, day,
# type) of the activity itself: signed counts and sums, and the quantities' signed
# amounts by code (decimal strings). Append-only; a refresh adds them up the tree and
# deletes them. No index besides the key: it holds the edits of minutes, not history.
report_deltas = Table(
    "report_deltas",
    db.metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("unit_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("type_id", Integer, nullable=False),
    Column("activities", Integer, nullable=False),
    Column("verified", Integer, nullable=False),
    Column("members", Integer, nullable=False),
    Column("citizens", Integer, nullable=False),
    Column("hours", Numeric(14, 1), nullable=False),
    Column("proven", Integer, nullable=False, server_default=text("0")),
    Column("quantities", JSONType, nullable=False),
    Column("recorded_at", UTCDateTime(), **_SINCE),
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


class Target(db.Model):
    """A goal staff set for a period: so many activities (of a type, or of any type) in a
    unit's subtree — or by *each* unit of a kind below it ("each grassroots union holds
    one Volunteer Saturday a month" is 12 a year per grassroots union)."""

    __tablename__ = "targets"
    __table_args__ = (
        CheckConstraint("activities > 0", name="activities_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("activity_types.id"))
    each_kind: Mapped[str | None] = mapped_column(String(16))
    activities: Mapped[int] = mapped_column(Integer)
    period_code: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
