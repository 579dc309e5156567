"""A push's new activities, written with one ``INSERT`` per batch.

A phone back from weeks offline sends hundreds of records the server has never seen. Made
as ORM objects, each one paid for attribute instrumentation, the unit of work and the
model's hooks: a third to a half of a 200-record push (docs/BENCHMARKS.md). A Core insert
of plain rows skips all of that, and so skips the hooks too; this module does by hand
exactly what they would have done for a new row:

* ``search_fold``, the folded title and place (``Activity._keep_fold``);
* ``wire``, the record as a phone receives it (``server/activities/wire.py``);
* what each counted row adds to the report totals, recorded as deltas with one more
  ``INSERT`` (``server/reports/deltas.py``).

Edits and deletes of existing records stay on the ORM, hooks and all.
``tests/sync/test_batch_insert.py`` holds both paths to the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import Activity
from ..models.activities import search_fold_of
from ..reports.deltas import record_inserted
from .wire import encode, record_fields

_COLUMNS = tuple(c.key for c in Activity.__table__.columns)


def insert_activities(session: Session, records: list[Any], codes: Mapping[int, str]) -> None:
    """Insert new activities given as attribute holders (unset attributes read None);
    ``codes`` maps type ids to type codes, for the rendered record."""
    rows = []
    for r in records:
        row = {name: getattr(r, name) for name in _COLUMNS}
        row["search_fold"] = search_fold_of(r.title, r.place)
        row["wire"] = encode(record_fields(r, codes.get(r.type_id)))
        # A new activity has no photo yet: its photos, even of the same batch, are written
        # after it and settle the flag then (server/reports/deltas.py, settle_proven).
        row["proven"] = False
        rows.append(row)
    if not rows:
        return
    conn = session.connection()
    conn.execute(insert(Activity.__table__), rows)
    record_inserted(conn, rows)
