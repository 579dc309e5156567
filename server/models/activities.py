"""Activities: what a branch did, recorded on a phone, reviewed by the units above."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from schemas.text import clean, fold

from ..extensions import db
from .movement import ActivityType
from .types import JSONType, NFCString, NFCText, UTCDateTime, utcnow
from .units import Unit


class ActivityStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    RETURNED = "returned"


STATUS_LABELS = {
    ActivityStatus.DRAFT: ("Nháp", "Draft"),
    ActivityStatus.SUBMITTED: ("Đã gửi", "Submitted"),
    ActivityStatus.VERIFIED: ("Đã xác nhận", "Verified"),
    ActivityStatus.RETURNED: ("Trả lại", "Returned"),
}


#: The report totals' fields (see server/reports/totals.py).
_OLD: dict = {"active_history": True}


def search_fold_of(title: str | None, place: str | None) -> str:
    """What ``search_fold`` holds for this title and place (kept by the model on every ORM
    write, and by writers that insert rows without the ORM)."""
    return fold(f"{title or ''} {place or ''}")


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft','submitted','verified','returned')", name="status_known"
        ),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint(
            "members_count >= 0 AND citizens_served >= 0 AND volunteer_hours >= 0",
            name="figures_not_negative",
        ),
        # Reports: a unit's activities over a period.
        Index("ix_activities_unit_starts", "unit_id", "starts_on"),
        # Pulls: a unit's changes after a cursor, already in order.
        Index("ix_activities_unit_change", "unit_id", "change_seq"),
        # Report totals: recomputing the days an edit touched, across all units.
        Index("ix_activities_starts_on", "starts_on"),
    )

    # Made on the phone, so a record exists (and can be edited) weeks before it syncs.
    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    # ``_OLD``: the old value is loaded before a change, even when the attribute was
    # expired, so report totals can subtract what the record counted for (decision 48).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), **_OLD)
    type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"), index=True, **_OLD)
    title: Mapped[str] = mapped_column(NFCString(200))
    starts_on: Mapped[date] = mapped_column(Date, **_OLD)
    ends_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(NFCString(200), default="")
    members_count: Mapped[int] = mapped_column(Integer, default=0, **_OLD)
    citizens_served: Mapped[int] = mapped_column(Integer, default=0, **_OLD)
    volunteer_hours: Mapped[Decimal] = mapped_column(Numeric(10, 1), default=Decimal(0), **_OLD)
    # The type's own figures, e.g. {"dossiers_civil_status": 12, "gift_value_vnd": 500000}.
    quantities: Mapped[dict] = mapped_column(JSONType, default=dict, **_OLD)
    description: Mapped[str] = mapped_column(NFCText(), default="")
    status: Mapped[str] = mapped_column(String(12), default=ActivityStatus.DRAFT.value, **_OLD)
    review_comment: Mapped[str | None] = mapped_column(NFCText())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Folded title and place, so "Cao Bang" finds "Cao Bằng".
    search_fold: Mapped[str] = mapped_column(String(420), default="")

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The phone's own clock when the entry was typed: information only, never ordering.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when that clock was implausible (before 2015, or ahead of the server's).
    recorded_at_suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the entry was first sent up (status submitted), for timeliness (decision 45):
    # the server's time it arrived as submitted, and the phone's clock when the submission
    # was typed (a plausible ``recorded_at`` of an entry created submitted; None when the
    # phone did not say, e.g. a draft submitted by a later edit). Kept through returns.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_typed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # At least one of its photos is stored on the server and not deleted (decision 188):
    # kept by the evidence writes (server/reports/deltas.py, ``settle_proven``) so the
    # report totals count it per day like the other figures. Not a synced field.
    proven: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False, **_OLD
    )

    # Sync bookkeeping: a version per record (for merges) and the server-assigned change
    # number (for pulls); a delete keeps the row as a tombstone.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # For field-level merge: the record version at which each field last changed.
    field_versions: Mapped[dict] = mapped_column(JSONType, default=dict)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), **_OLD)
    # The record as a phone receives it, rendered on every write (server/activities/wire.py);
    # deferred: only pulls read it.
    wire: Mapped[str] = mapped_column(Text, deferred=True)

    unit: Mapped[Unit] = relationship()
    type: Mapped[ActivityType] = relationship()

    @validates("title", "place")
    def _keep_fold(self, key: str, value: str) -> str:
        value = clean(value) if isinstance(value, str) else value
        title = value if key == "title" else self.title
        place = value if key == "place" else self.place
        self.search_fold = search_fold_of(title, place)
        return value

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
