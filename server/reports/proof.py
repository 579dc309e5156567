"""Evidence photos as the reports show them (issue 14 §4; decisions 188-189, 191).

An activity *has evidence* when at least one of its photos is stored on the server —
uploaded whole, its hash checked, re-encoded — and not deleted. A photo the phone has
declared but not finished uploading (``stored`` false) is a promise, not evidence: a
unit is graded on what a reviewer can open. Whether an activity has one is kept on the
activity (``Activity.proven``, :func:`server.reports.deltas.settle_proven`) and counted
per day in the report totals, so a page's count of activities without evidence is
``activities - proven`` like its other figures (:class:`server.reports.service.Figures`).
What is read here is a branch's list: how many photos each listed activity has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select

from ..models import Evidence
from .source import reader


def photo_counts(activity_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Stored, undeleted photos of each of ``activity_ids`` that has any (a branch's list)."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = reader().execute(
        select(Evidence.activity_id, func.count(Evidence.id).label("n"))
        .where(
            Evidence.activity_id.in_(ids),
            Evidence.stored.is_(True),
            Evidence.deleted_at.is_(None),
        )
        .group_by(Evidence.activity_id)
    )
    return {r.activity_id: int(r.n) for r in rows}
