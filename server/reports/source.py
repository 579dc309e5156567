"""Where report reads come from: the one seam a read replica plugs into (decision 57).

Every report read — figures, completeness, targets, nominations, the freshness note —
takes its session from :func:`reader`. Report reads are pure reads (decision 55), so
they can be served by any copy of the database that is close enough behind; writes
(the export's audit record, targets, schedules, nominations) keep to ``db.session``,
the primary. Today the reader is the app's own session. Pointing reports at a replica
is a matter of registering a session factory under :data:`EXTENSION` (for example one
bound to a ``REPORTS_DATABASE_URL`` engine, removed at the end of each request); nothing
else changes.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ..extensions import db

#: ``app.extensions`` key of a callable returning the session report reads use.
EXTENSION = "sodoan.report_reader"


def reader() -> Session:
    """The session for report reads (the primary's unless a factory was registered)."""
    factory = current_app.extensions.get(EXTENSION)
    return factory() if factory is not None else db.session()
