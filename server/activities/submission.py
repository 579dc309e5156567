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

from ..models import Activity
from ..models.types import utcnow
from .counted import COUNTED


def stamp_submission(obj: Any, now: Any, typed: Any = None) -> None:
    """Stamp ``obj`` as sent up at ``now`` (phone time ``typed``) unless it already was:
    the first submission counts, so a return and a resubmission do not make it late."""
    # A counted status is one an entry can only have once it was sent up.
    if obj.status in COUNTED and obj.submitted_at is None:
        obj.submitted_at = now
        obj.submitted_typed_at = typed


def _on_insert(_mapper: Any, _connection: Any, target: Activity) -> None:
    stamp_submission(target, target.created_at or utcnow())


def _on_update(_mapper: Any, _connection: Any, target: Activity) -> None:
    stamp_submission(target, utcnow())


def register() -> None:
    """Attach the safety net to every ORM write of an activity (``create_app`` calls it;
    a second call changes nothing)."""
    for name, fn in (("before_insert", _on_insert), ("before_update", _on_update)):
        if not event.contains(Activity, name, fn):
            event.listen(Activity, name, fn)
