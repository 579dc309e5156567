"""Evidence photos of an activity ("hình ảnh minh chứng"): the record a phone syncs, and
what the server holds of its file."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, NFCString, UTCDateTime, utcnow


class Evidence(db.Model):
    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("size > 0 AND width > 0 AND height > 0", name="sizes_positive"),
        # Pulls: a branch's changes after a cursor, in order.
        Index("ix_evidence_unit_change", "unit_id", "change_seq"),
        # A file the branch already stores (an upload then needs no bytes).
        Index("ix_evidence_unit_sha256", "unit_id", "sha256"),
    )

    # Made on the phone, like an activity's.
    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), index=True)
    # The activity's branch, copied at creation (an activity never changes branch by a
    # phone): scope, quota and pulls read it without a join.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # What the phone declares of the bytes it will upload (immutable after create).
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(NFCString(200), default="")
    # The phone's clock when the photo was taken: information only.
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The server's verified, re-encoded file (content-addressed keys in the photo store).
    stored: Mapped[bool] = mapped_column(Boolean, default=False)
    stored_key: Mapped[str | None] = mapped_column(String(120))
    thumb_key: Mapped[str | None] = mapped_column(String(120))
    stored_type: Mapped[str | None] = mapped_column(String(16))
    stored_size: Mapped[int | None] = mapped_column(Integer)
    stored_width: Mapped[int | None] = mapped_column(Integer)
    stored_height: Mapped[int | None] = mapped_column(Integer)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Sync bookkeeping, written by the engine only (sync/collection.py).
    version: Mapped[int] = mapped_column(Integer, default=1)
    field_versions: Mapped[dict] = mapped_column(JSONType, default=dict)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
