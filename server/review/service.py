"""Verifying and returning activities: the decisions staff take on what branches record.

A decision is a change of the record like any other for the phones (decision 28), made
through the engine (:class:`sync.records.ServerChanges`): a new version, ``status`` marked
as changed at it, and a change number, so the branch's phones receive the new status and
the reviewer's comment with their next pull, and a phone's offline change of the status
made before it saw the decision becomes a kept conflict instead of silently undoing the
review.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from schemas.text import nfc
from sync.records import ServerChanges

from .. import audit
from ..activities.registry import activities_collection
from ..extensions import db
from ..i18n import N_
from ..models import Activity, ActivityStatus, User
from ..models.types import utcnow
from ..policy import reviewable_unit_ids, reviews

MAX_COMMENT = 1000

VERIFY = "verify"
RETURN = "return"

#: From which statuses each decision may be taken. A verified activity can still be
#: returned (a reviewer's mistake, or a figure found wrong later); nothing else can be
#: verified but a submitted one.
ALLOWED_FROM = {
    VERIFY: {ActivityStatus.SUBMITTED},
    RETURN: {ActivityStatus.SUBMITTED, ActivityStatus.VERIFIED},
}


class ReviewError(ValueError):
    """A decision that cannot be taken; ``message`` is the catalogue's Vietnamese msgid,
    for the reviewer, with ``params`` to fill in after translation (a message formatted
    before would have no entry in the catalogue)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


@dataclass
class Outcome:
    decided: list[Activity] = field(default_factory=list)
    #: Activities in scope whose status no longer allows the decision (e.g. the branch
    #: took one back to draft meanwhile): left as they are, and said so.
    skipped: list[Activity] = field(default_factory=list)


def clean_comment(comment: str | None) -> str:
    text = nfc((comment or "").strip())
    if not text:
        raise ReviewError("comment_required", N_("Cần ghi nhận xét khi trả lại hoạt động."))
    if len(text) > MAX_COMMENT:
        raise ReviewError(
            "comment_too_long",
            N_("Nhận xét dài quá %(max)s ký tự (%(n)s)."),
            max=MAX_COMMENT,
            n=len(text),
        )
    return text


def decide(
    reviewer: User,
    activity_ids: Sequence[uuid.UUID],
    decision: str,
    comment: str | None = None,
    *,
    device_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Take one decision on one or more activities, in the caller's transaction.

    Every id must be an activity the reviewer may review: one that is not (or does not
    exist, or was deleted) refuses the whole request with ``not_found`` and changes
    nothing, so a forged id learns nothing. The caller commits.
    """
    if decision not in ALLOWED_FROM:
        raise ValueError(f"unknown decision {decision!r}")
    if not reviews(reviewer):
        raise ReviewError("not_found", N_("Không tìm thấy hoạt động."))
    text = clean_comment(comment) if decision == RETURN else None
    wanted = list(dict.fromkeys(activity_ids))
    if not wanted:
        raise ReviewError("nothing_chosen", N_("Chưa chọn hoạt động nào."))
    rows = db.session.scalars(
        select(Activity)
        .where(
            Activity.id.in_(wanted),
            Activity.deleted_at.is_(None),
            Activity.unit_id.in_(reviewable_unit_ids(reviewer)),
        )
        .order_by(Activity.id)
        .with_for_update()
    ).all()
    if len(rows) != len(wanted):
        raise ReviewError("not_found", N_("Không tìm thấy hoạt động."))

    now = now or utcnow()
    outcome = Outcome()
    changes = ServerChanges(db.session(), activities_collection())
    target = ActivityStatus.VERIFIED.value if decision == VERIFY else ActivityStatus.RETURNED.value
    for a in rows:
        if a.status not in ALLOWED_FROM[decision]:
            outcome.skipped.append(a)
            continue
        before = a.status
        a.status = target
        a.review_comment = text
        a.reviewed_by_id, a.reviewed_at = reviewer.id, now
        a.updated_by_id, a.updated_at = reviewer.id, now
        changes.update(a, ["status"])
        outcome.decided.append(a)
        audit.record(
            f"activity.{decision}",
            actor=reviewer,
            device_id=device_id,
            target=("activity", a.id),
            unit_id=a.unit_id,
            status_before=before,
            version=a.version,
            **({"comment": text} if text else {}),
        )
    changes.number()  # last, just before the caller commits
    return outcome
