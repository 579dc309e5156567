"""Applying a device's batch of mutations exactly once, merging field by field.

The rules (documented for clients in docs/PROTOCOL.md), and where each lives:

* Mutations are numbered by the device 1, 2, 3, … A batch is consecutive and ascending.
  Numbers already applied are answered from the log with their original answers (a retry
  after a lost response creates nothing twice); the same number with a different payload
  refuses the whole batch; the first new number must follow the last applied one, or the
  whole batch is refused (``mutation_gap`` with ``expected``). Here, and the log in
  :mod:`sync.log`.
* Each mutation stands alone: a rejected one changes nothing and does not stop the
  others, except later mutations *of the same record in the same batch*, which were made
  on top of the refused state and are rejected too (``blocked_by_rejected``).
  :mod:`sync.apply`.
* An upsert carries the whole record and the fields the user changed since
  ``base_version``; a field whose current value the device has not seen keeps the
  server's value and the device's is kept as a conflict. :mod:`sync.merge`.
* Edit of a deleted record: the delete stands, the edit is kept as a conflict.
  Delete of a record changed by someone else since the device saw it: the record stays,
  the delete is kept as a conflict. Nothing typed is dropped. :mod:`sync.apply`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from schemas.sync import MAX_MUTATIONS

from .apply import Applier
from .collection import Registry
from .errors import BadBatch, MutationGap
from .log import payload_hash, replay
from .tables import sync_devices

__all__ = ["PushOutcome", "begin_write", "payload_hash", "push"]


@dataclass
class PushOutcome:
    results: list[dict[str, Any]]
    last_applied: int


def begin_write(session: Session) -> None:
    """Start the push's transaction as a writer.

    On SQLite a transaction that reads first and writes later fails outright when another
    writer got in between (WAL snapshots cannot be upgraded); starting ``IMMEDIATE`` makes
    it wait its turn instead. PostgreSQL ignores the option.
    """
    if session.in_transaction():
        conn = session.connection()
        if conn.dialect.name == "sqlite" and not conn.get_execution_options().get(
            "sqlite_immediate"
        ):
            raise RuntimeError("a push must start its own transaction: commit or roll back first")
        return
    session.connection(execution_options={"sqlite_immediate": True})


def _lock_device(session: Session, device_id: uuid.UUID) -> int:
    """The device's last applied number, its row locked until the caller's commit.

    One statement: an upsert that creates the row for a new device and, for a known one,
    "updates" it to itself, which locks it as ``SELECT … FOR UPDATE`` would (PostgreSQL;
    SQLite's writer already holds the database) and returns the number.
    """
    dialect = session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(sync_devices)
    return int(
        session.execute(
            ins.values(device_id=device_id, last_mutation=0)
            .on_conflict_do_update(
                index_elements=[sync_devices.c.device_id],
                set_={"last_mutation": sync_devices.c.last_mutation},
            )
            .returning(sync_devices.c.last_mutation)
        ).scalar_one()
    )


def push(
    session: Session,
    registry: Registry,
    *,
    device_id: uuid.UUID,
    actor: Any,
    actor_key: str,
    mutations: list[dict[str, Any]],
    now: datetime,
) -> PushOutcome:
    """Apply a batch inside the caller's (fresh) transaction; the caller commits.

    ``mutations`` are the device's dicts as sent (already shape-checked); ``actor`` is
    passed through to the collections' rules; ``actor_key`` is what conflicts record.
    """
    if len(mutations) > MAX_MUTATIONS:
        raise BadBatch(f"at most {MAX_MUTATIONS} mutations per batch", limit=MAX_MUTATIONS)
    numbers = [m["n"] for m in mutations]
    if any(b != a + 1 for a, b in zip(numbers, numbers[1:], strict=False)):
        raise BadBatch("mutation numbers must be consecutive and ascending")

    begin_write(session)
    last = _lock_device(session, device_id)
    old = [m for m in mutations if m["n"] <= last]
    new = [m for m in mutations if m["n"] > last]
    if new and new[0]["n"] != last + 1:
        raise MutationGap(f"expected mutation {last + 1}", expected=last + 1)

    results = replay(session, device_id, old, last)
    if not new:
        return PushOutcome(results, last)

    who = {"device_id": device_id, "actor": actor, "actor_key": actor_key, "now": now}
    try:
        results += Applier(session, registry, **who).run(new)
    except (IntegrityError, DataError):
        # Validation should make this impossible; if the database still refuses a row,
        # redo the batch one savepoint per mutation so only the culprit is rejected.
        session.rollback()
        begin_write(session)
        last = _lock_device(session, device_id)
        results = replay(session, device_id, old, last)
        results += Applier(session, registry, safe=True, **who).run(new)
    session.execute(
        update(sync_devices)
        .where(sync_devices.c.device_id == device_id)
        .values(last_mutation=new[-1]["n"])
    )
    session.flush()
    return PushOutcome(results, new[-1]["n"])
