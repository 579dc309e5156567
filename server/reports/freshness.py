"""How fresh the figures are: the changes still waiting for the totals worker.

Report pages read the totals as the worker last left them (decision 55), so a page says
when changes are still waiting to be added in — how many, and since when — and, when the
oldest has waited long, that the worker may have stopped. Reading this is a pure read of
``report_deltas`` and ``report_dirty`` (one statement), through the reports' reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..models.reports import report_deltas, report_dirty
from ..models.types import utcnow
from .source import reader

#: Counted up to this many; beyond, the page says "more than".
LIMIT = 1000
#: The worker adds changes up within seconds; a change waiting this long means it is
#: stopped or failing, and the page says to tell the administrator.
STALLED = timedelta(minutes=5)


@dataclass(frozen=True)
class Waiting:
    #: Delta rows and dirty (unit, day) pairs waiting, up to ``LIMIT + 1`` of each.
    changes: int
    #: When the oldest of them was written.
    since: datetime

    @property
    def many(self) -> bool:
        return self.changes > LIMIT

    def stalled(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.since > STALLED


def _count(table) -> object:
    capped = select(table.c[0].label("x")).limit(LIMIT + 1).subquery()
    return select(func.count()).select_from(capped).scalar_subquery()


def waiting() -> Waiting | None:
    """What waits to be added into the totals, or None when they are up to date."""
    d, p = report_deltas, report_dirty
    row = (
        reader()
        .execute(
            select(
                _count(d).label("deltas"),
                _count(p).label("pairs"),
                # The lowest id is the oldest delta but for writes that committed out of order.
                select(d.c.recorded_at).order_by(d.c.id).limit(1).scalar_subquery().label("delta"),
                select(func.min(p.c.marked_at)).scalar_subquery().label("pair"),
            )
        )
        .one()
    )
    changes = int(row.deltas or 0) + int(row.pairs or 0)
    times = [t for t in (row.delta, row.pair) if t is not None]
    if not changes or not times:
        return None
    return Waiting(changes, min(times))
