"""The mutation log (``sync_mutations``): what makes a push exactly-once, what the merge
knows of a device's own past, and where refused entries are kept for people to read.

Every mutation a device sends is logged once, by (device, number), with its answer: a
retried batch is answered from here (:func:`replay`), never applied twice. A rejected or
conflicting mutation keeps its whole payload (quarantine), so nothing typed is lost even
when the phone is.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, insert, select, update
from sqlalchemy.orm import Session

from .errors import MutationMismatch
from .tables import sync_mutations

#: Answers after which a record was sent again and accepted (see :func:`refused`).
ACCEPTED = ("applied", "merged", "conflict")


def payload_hash(mutation: dict[str, Any]) -> str:
    """Canonical hash of a mutation as the device sent it."""
    canonical = json.dumps(mutation, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, device_id: uuid.UUID, old: list[dict], last: int) -> list[dict]:
    """The original answers of mutations already applied (``n`` ≤ ``last``).

    The same number with another payload refuses the whole batch; ``expected`` is the
    first number never used, from which the device may number what it still holds (a
    store restored from an older copy reused numbers).
    """
    if not old:
        return []
    rows = {
        r.n: r
        for r in session.execute(
            select(sync_mutations.c.n, sync_mutations.c.payload_hash, sync_mutations.c.result)
            .where(sync_mutations.c.device_id == device_id)
            .where(sync_mutations.c.n.in_([m["n"] for m in old]))
        )
    }
    results = []
    for m in old:
        row = rows.get(m["n"])
        if row is not None and row.payload_hash != payload_hash(m):
            raise MutationMismatch(
                f"mutation {m['n']} was already applied with a different payload",
                n=m["n"],
                expected=last + 1,
            )
        if row is None or not row.result:
            # Its answer was pruned (:func:`prune`); the number was applied all the same.
            results.append({"n": m["n"], "status": "already_applied"})
            continue
        results.append(row.result)
    return results


def prune(session: Session, *, before: datetime) -> int:
    """Forget the answers of mutations applied before ``before``; return how many.

    Only the answer goes (it may hold a whole record): a retry of such a number is then
    answered ``already_applied``. The row stays, with its payload's hash, so that a
    number reused with another payload is still refused (``mutation_mismatch``) rather
    than answered ``already_applied`` and dropped by the device, and the merge still
    knows which versions were the device's own. Refused and conflicting mutations are
    kept whole: staff read their payloads and reasons. Caller commits.
    """
    m = sync_mutations.c
    done = session.execute(
        update(sync_mutations)
        .where(
            m.status.in_(("applied", "merged")),
            m.received_at < before,
            cast(m.result, Text) != "{}",
        )
        .values(result={})
    )
    return int(done.rowcount or 0)


class History:
    """A device's logged mutations of some records: (n, version produced, base sent,
    whether the answer carried the server's copy), oldest first. The merge reads it to
    tell what the device has seen (:mod:`sync.merge`)."""

    def __init__(self) -> None:
        self._by_record: dict[uuid.UUID, list[tuple[int, int | None, int, bool | None]]] = {}

    def load(self, session: Session, device_id: uuid.UUID, record_ids: Iterable[Any]) -> None:
        ids = set(record_ids)
        if not ids:
            return
        log = sync_mutations.c
        for rid, n, version, base, copied in session.execute(
            select(log.record_id, log.n, log.version, log.base_version, log.copied)
            .where(log.device_id == device_id, log.record_id.in_(ids))
            .order_by(log.n)
        ):
            self.add(rid, int(n), version, int(base or 0), copied)

    def add(
        self, record_id: uuid.UUID, n: int, produced: int | None, base: int, copied: bool | None
    ) -> None:
        self._by_record.setdefault(record_id, []).append((n, produced, base, copied))

    def of(self, record_id: uuid.UUID) -> list[tuple[int, int | None, int, bool | None]]:
        return self._by_record.get(record_id, [])


def log_row(
    m: dict[str, Any],
    record_id: uuid.UUID,
    result: dict[str, Any],
    produced: int | None,
    *,
    device_id: uuid.UUID,
    actor_key: str,
    now: datetime,
) -> dict[str, Any]:
    """The log row of one answered mutation (written with the batch, see
    :func:`write`)."""
    base = m.get("base_version")
    base = base if isinstance(base, int) and not isinstance(base, bool) else None
    keep = result["status"] in ("rejected", "conflict")
    return {
        "device_id": device_id,
        "n": m["n"],
        "payload_hash": payload_hash(m),
        "result": result,
        "status": result["status"],
        "collection": str(m["collection"])[:40],
        "record_id": record_id,
        "version": produced,
        "base_version": base,
        "copied": "record" in result,
        "actor": actor_key,
        "payload": m if keep else None,
        "received_at": now,
    }


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(sync_mutations), rows)


@dataclass(frozen=True)
class Refused:
    """A mutation the server refused, as it was sent and answered."""

    received_at: datetime
    actor: str
    payload: dict[str, Any]
    result: dict[str, Any]
    #: The same record was sent again later and accepted.
    resent: bool


def refused(
    session: Session, *, actors: Select[Any] | ColumnElement[Any] | list[str], limit: int
) -> list[Refused]:
    """The newest refused mutations sent by ``actors`` (actor keys, or a query of them),
    newest first: kept server-side as sent, so staff can help with an entry a phone cannot get
    accepted, and a lost phone does not lose it."""
    m = sync_mutations
    newer = sync_mutations.alias("newer")
    resent = (
        select(newer.c.n)
        .where(
            newer.c.record_id == m.c.record_id,
            newer.c.received_at > m.c.received_at,
            newer.c.status.in_(ACCEPTED),
        )
        .exists()
    )
    rows = session.execute(
        select(m.c.received_at, m.c.actor, m.c.payload, m.c.result, resent.label("resent"))
        .where(m.c.status == "rejected", m.c.actor.in_(actors))
        .order_by(m.c.received_at.desc())
        .limit(limit)
    ).all()
    return [
        Refused(r.received_at, r.actor, r.payload or {}, r.result or {}, bool(r.resent))
        for r in rows
    ]
