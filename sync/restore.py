"""Telling every device that the database was restored from a backup.

A backup carries the epoch the database had when it was taken, so a restored database
answers with an epoch that devices from before the backup know. Restoring is not complete
until the database has a new one (decision 93): every cursor handed out before is then
answered ``resync_required, epoch_changed``, whatever was restored and written since. The
per-numbering tokens (:func:`sync.changes.allocate`) catch a restore nobody marked, but
only once the old change numbers are handed out again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from .tables import sync_state


def mark_restored(session: Session) -> str:
    """Give the database a new epoch; return it. Caller commits."""
    epoch = str(uuid.uuid4())
    session.execute(update(sync_state).where(sync_state.c.id == 1).values(epoch=epoch))
    return epoch
