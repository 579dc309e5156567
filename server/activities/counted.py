"""Which activities count: the one rule every figure, total and timeliness judgement uses.

An activity counts when its branch sent it up — submitted or verified, not a draft or a
returned entry — and it is not deleted (decision 29). The rule is written here once, in
the two forms its users need: :func:`counts` for values in hand (the report deltas of an
ORM write), :func:`counted` for a query (totals, figures, completeness). A test holds the
two forms to the same answer for every status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from ..models import Activity, ActivityStatus

#: The statuses of an entry its branch sent up: the ones figures count, and the ones an
#: entry can only have once it was sent up (``server/activities/submission.py``).
COUNTED = (ActivityStatus.SUBMITTED.value, ActivityStatus.VERIFIED.value)


def counts(status: str | None, deleted_at: Any) -> bool:
    """Whether an activity with this status and deletion mark counts."""
    return deleted_at is None and status in COUNTED


def counted(activity: Any = Activity) -> ColumnElement[bool]:
    """The rule as a filter on ``activity`` (the model, or an alias of it)."""
    return and_(activity.deleted_at.is_(None), activity.status.in_(COUNTED))
