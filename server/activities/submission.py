"""When an activity was first sent up: ``submitted_at`` (server) and ``submitted_typed_at``
(phone), the clocks timeliness is judged by (decision 45).

The sync collection stamps both as a push creates or submits an entry
(``ActivityCollection.write``, which the batch-insert path also goes through). This hook is
the safety net for every other ORM write — a review tool, a conflict resolved on the
dashboard, a seed, a test: a row that becomes submitted without a stamp gets the server's
time, so no write path can leave a counted entry without one. Core writes bypass it and
must stamp by hand (``server/activities/inserts.py`` receives stamped records).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from ..models import Activity, ActivityStatus
from ..models.types import utcnow

#: Statuses an entry can only have once it was sent up.
SENT_UP = (ActivityStatus.SUBMITTED.value, ActivityStatus.VERIFIED.value)


def stamp_submission(obj: Any, now: Any, typed: Any = None) -> None:
    """Stamp ``obj`` as sent up at ``now`` (phone time ``typed``) unless it already was:
    the first submission counts, so a return and a resubmission do not make it late."""
    if obj.status in SENT_UP and obj.submitted_at is None:
        obj.submitted_at = now
        obj.submitted_typed_at = typed


@event.listens_for(Activity, "before_insert")
def _on_insert(_mapper: Any, _connection: Any, target: Activity) -> None:
    stamp_submission(target, target.created_at or utcnow())


@event.listens_for(Activity, "before_update")
def _on_update(_mapper: Any, _connection: Any, target: Activity) -> None:
    stamp_submission(target, utcnow())
