"""Applying a device's batch of mutations exactly once, merging field by field.

The rules (documented for clients in docs/PROTOCOL.md):

* Mutations are numbered by the device 1, 2, 3, … A batch is consecutive and ascending.
  Numbers already applied are answered from the log with their original answers (a retry
  after a lost response creates nothing twice); the same number with a different payload
  refuses the whole batch; the first new number must follow the last applied one, or the
  whole batch is refused (``mutation_gap`` with ``expected``).
* Each mutation runs in its own savepoint: a rejected one changes nothing and does not stop
  the others, except later mutations *of the same record in the same batch*, which were
  made on top of the refused state and are rejected too (``blocked_by_rejected``).
* An upsert carries the whole record and the fields the user changed since
  ``base_version``. A field whose current value the device has not seen keeps the
  server's value (first to reach the server wins: server order, never phone clocks); the
  device's value is kept as a conflict. The device has seen a field's value when the
  field last changed at or before the version the device's record is really built on
  (:meth:`_Applier._seen_base`), or when that change was the device's own mutation.
  A version the device itself produced is *not* proof that it saw the rest of that
  version: a merge answer's copy is set aside by a device that still has entries of the
  record waiting (PROTOCOL §5), so such a base counts only when nothing else waited.
* Edit of a deleted record: the delete stands, the edit is kept as a conflict.
  Delete of a record changed by someone else since the device saw it: the record stays,
  the delete is kept as a conflict. Nothing typed is dropped.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from schemas.errors import problem

from .changes import allocate
from .collection import Collection, Registry
from .errors import BadBatch, MutationGap, MutationMismatch
from .tables import sync_conflicts, sync_devices, sync_mutations

MAX_BATCH = 200


class NewRecord(SimpleNamespace):
    """A record a batch creates, held as plain attributes until the batch's new records
    are written together (:meth:`Collection.insert_new`). As on a fresh ORM object, an
    attribute never set reads as None (a new activity's ``review_comment``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


@dataclass
class PushOutcome:
    results: list[dict[str, Any]]
    last_applied: int


def payload_hash(mutation: dict[str, Any]) -> str:
    """Canonical hash of a mutation as the device sent it."""
    canonical = json.dumps(mutation, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    dialect = session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        ins(sync_devices).values(device_id=device_id, last_mutation=0).on_conflict_do_nothing()
    )
    return int(
        session.execute(
            select(sync_devices.c.last_mutation)
            .where(sync_devices.c.device_id == device_id)
            .with_for_update()
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
    if len(mutations) > MAX_BATCH:
        raise BadBatch(f"at most {MAX_BATCH} mutations per batch", limit=MAX_BATCH)
    numbers = [m["n"] for m in mutations]
    if any(b != a + 1 for a, b in zip(numbers, numbers[1:], strict=False)):
        raise BadBatch("mutation numbers must be consecutive and ascending")

    begin_write(session)
    last = _lock_device(session, device_id)
    old = [m for m in mutations if m["n"] <= last]
    new = [m for m in mutations if m["n"] > last]
    if new and new[0]["n"] != last + 1:
        raise MutationGap(f"expected mutation {last + 1}", expected=last + 1)

    results = _replay(session, device_id, old, last)
    if not new:
        return PushOutcome(results, last)

    try:
        results += _apply_all(session, registry, device_id, actor, actor_key, now, new, False)
    except (IntegrityError, DataError):
        # Validation should make this impossible; if the database still refuses a row,
        # redo the batch one savepoint per mutation so only the culprit is rejected.
        session.rollback()
        begin_write(session)
        last = _lock_device(session, device_id)
        results = _replay(session, device_id, old, last)
        results += _apply_all(session, registry, device_id, actor, actor_key, now, new, True)
    session.execute(
        update(sync_devices)
        .where(sync_devices.c.device_id == device_id)
        .values(last_mutation=new[-1]["n"])
    )
    session.flush()
    return PushOutcome(results, new[-1]["n"])


def _apply_all(
    session: Session,
    registry: Registry,
    device_id: uuid.UUID,
    actor: Any,
    actor_key: str,
    now: datetime,
    new: list[dict],
    safe: bool,
) -> list[dict]:
    applier = _Applier(session, registry, device_id, actor, actor_key, now, safe)
    applier.prefetch(new)
    results = [applier.apply(m) for m in new]
    applier.finish()
    return results


def _replay(session: Session, device_id: uuid.UUID, old: list[dict], last: int) -> list[dict]:
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
        if row is None:
            results.append({"n": m["n"], "status": "already_applied"})
            continue
        if row.payload_hash != payload_hash(m):
            # ``expected``: the first number never used, from which the device may number
            # what it still holds (e.g. a store restored from an older copy reused numbers).
            raise MutationMismatch(
                f"mutation {m['n']} was already applied with a different payload",
                n=m["n"],
                expected=last + 1,
            )
        results.append(row.result)
    return results


class _Applier:
    def __init__(
        self,
        session: Session,
        registry: Registry,
        device_id: uuid.UUID,
        actor: Any,
        actor_key: str,
        now: datetime,
        safe: bool = False,
    ) -> None:
        self.session = session
        # Safe mode: a savepoint and a flush per mutation, so a row the database refuses
        # rejects only its own mutation. Fast mode writes the whole batch at the end.
        self.safe = safe
        self.found: dict[tuple[str, uuid.UUID], Any] = {}
        # Per record, this device's logged mutations: (n, version produced, base sent,
        # whether the answer carried the server's copy).
        self.history: dict[uuid.UUID, list[tuple[int, int | None, int, bool | None]]] = {}
        self.conflict_rows: list[dict[str, Any]] = []
        self.registry = registry
        self.device_id = device_id
        self.actor = actor
        self.actor_key = actor_key
        self.now = now
        self.touched: dict[tuple[str, uuid.UUID], Any] = {}
        self.log_rows: list[dict[str, Any]] = []
        self.rejected: dict[tuple[str, uuid.UUID], int] = {}

    def prefetch(self, mutations: list[dict]) -> None:
        """Load (and lock) every record the batch names, and this device's earlier
        mutations of them, in one query each instead of one per mutation."""
        by_collection: dict[str, set[uuid.UUID]] = {}
        for m in mutations:
            by_collection.setdefault(m["collection"], set()).add(uuid.UUID(str(m["id"])))
        for name, ids in by_collection.items():
            coll = self.registry.get(name)
            if coll is None:
                continue
            rows = self.session.scalars(
                select(coll.model).where(coll.model.id.in_(ids)).with_for_update()
            ).all()
            self.found.update({(name, r.id): r for r in rows})
            for rid in ids:
                self.found.setdefault((name, rid), None)
        all_ids = set().union(*by_collection.values()) if by_collection else set()
        log = sync_mutations.c
        for rid, n, version, base, copied in self.session.execute(
            select(log.record_id, log.n, log.version, log.base_version, log.copied)
            .where(log.device_id == self.device_id, log.record_id.in_(all_ids))
            .order_by(log.n)
        ):
            self.history.setdefault(rid, []).append((int(n), version, int(base or 0), copied))

    def _get(self, coll: Collection, record_id: uuid.UUID) -> Any:
        key = (coll.name, record_id)
        if key not in self.found:
            self.found[key] = self.session.get(coll.model, record_id, with_for_update=True)
        return self.found[key]

    def _flush(self) -> None:
        if self.safe:
            self.session.flush()

    # -- one mutation -------------------------------------------------------------------
    def apply(self, m: dict[str, Any]) -> dict[str, Any]:
        n = m["n"]
        coll = self.registry.get(m["collection"])
        record_id = uuid.UUID(str(m["id"]))
        key = (m["collection"], record_id)
        conflicts: list[dict] = []
        obj = None
        if coll is None:
            result = _rejected(n, record_id, problem("unknown_collection"))
        elif key in self.rejected:
            blocked = problem("blocked_by_rejected", n=self.rejected[key])
            result = _rejected(n, record_id, blocked)
        elif self.safe:
            savepoint = self.session.begin_nested()
            try:
                result, obj = self._one(coll, m, record_id, conflicts)
                self.session.flush()
            except (IntegrityError, DataError):
                conflicts.clear()
                result = _rejected(n, record_id, problem("storage_refused"))
            except BaseException:
                savepoint.rollback()
                raise
            if result["status"] == "rejected":
                savepoint.rollback()
                self.found.pop(key, None)
                obj = None
            else:
                savepoint.commit()
        else:
            # Rules are checked before anything is changed, so a rejection leaves nothing
            # to undo.
            result, obj = self._one(coll, m, record_id, conflicts)
        if result["status"] == "rejected":
            self.rejected[key] = n
        if obj is not None:
            self.touched[key] = obj
        for c in conflicts:
            self._keep_conflict(coll, record_id, n, c)
        if conflicts:
            result["conflicts"] = [
                {k: c[k] for k in ("id", "kind", "field", "server_value", "client_value")}
                for c in conflicts
            ]
        self._log(m, record_id, result, obj.version if obj is not None else None)
        return result

    def _one(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        if m["op"] == "delete":
            return self._delete(coll, m, record_id, conflicts)
        return self._upsert(coll, m, record_id, conflicts)

    def _seen_base(self, record_id: uuid.UUID, n: int, base: int) -> int:
        """The version mutation ``n``'s record is really built on.

        ``base`` is what the device sent. When this device itself produced that version
        (mutation k) and k's answer carried the server's copy (a merge: fields the device
        had not sent), the device holds that copy only if no other entry of the record
        was waiting when the answer came: a waiting entry keeps the local state and sets
        the copy aside (PROTOCOL §5), though a client may still record the version.
        An entry made before the answer is recognisable: numbered after k, with a base
        below k's version. Then the device's record is built on what k was built on.
        """
        history = self.history.get(record_id, [])
        produced = {v: (hn, hb, copied) for hn, v, hb, copied in history if v is not None}
        while base and base in produced:
            kn, kbase, copied = produced[base]
            if kn >= n or copied is False:
                break  # the answer was exactly what the device sent: it holds that version
            if not any(kn < hn < n and hb < base for hn, _v, hb, _c in history):
                break
            n, base = kn, kbase
        return base

    def _unseen(self, coll: Collection, existing: Any, record_id: uuid.UUID, m: dict) -> set:
        """The fields whose current value mutation ``m``'s device has not seen: changed
        after the version its record is built on, by anything but its own mutations."""
        own = {v for _n, v, _b, _c in self.history.get(record_id, []) if v is not None}
        seen = self._seen_base(record_id, m["n"], int(m.get("base_version") or 0))
        versions = existing.field_versions or {}
        unseen = set()
        for f in coll.fields:
            changed_at = int(versions.get(f, existing.version))
            if changed_at > seen and changed_at not in own:
                unseen.add(f)
        return unseen

    def _upsert(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        n = m["n"]
        record = dict(m.get("record") or {})
        record["id"] = str(record_id)
        values, errors = coll.load(record, self.actor)
        if errors:
            return _rejected(n, record_id, problem("validation_failed"), errors), None
        existing = self._get(coll, record_id)
        if existing is None:
            found = coll.check(self.actor, None, values, "create")
            if found:
                return _rejected(n, record_id, found), None
            # Fast mode holds a new record as plain attributes and writes all of a
            # batch's new records at the end in one statement (Collection.insert_new):
            # 200 ORM objects through the unit of work were a third of a push's time.
            # Safe mode keeps the ORM, to flush each record inside its own savepoint.
            make = coll.model if self.safe else NewRecord
            obj = make(
                id=record_id,
                version=1,
                change_seq=0,
                field_versions={f: 1 for f in coll.fields},
                deleted_at=None,
            )
            for f in coll.fields:
                coll.set_field(obj, f, values[f])
            coll.stamp(obj, self.actor, True, values)
            if self.safe:
                self.session.add(obj)
            self.found[(coll.name, record_id)] = obj
            self._flush()
            return _answer(n, record_id, "applied", obj), obj

        if existing.deleted_at is not None:
            # Who may write it comes first: an edit of another branch's deleted record must
            # learn nothing (no version, no "deleted") and plant no conflict. And a record
            # that could not be restored as sent is refused now, not kept as a conflict
            # nobody could resolve.
            found = coll.check(self.actor, existing, values, "restore")
            if found:
                return _rejected(n, record_id, found), None
            conflicts.append(
                self._conflict("edit_deleted", None, None, _wire_values(coll, values), m, existing)
            )
            return _answer(n, record_id, "conflict", existing), None
        found = coll.check(self.actor, existing, values, "update")
        if found:
            return _rejected(n, record_id, found), None

        changed = m.get("changed")
        changed = list(coll.fields) if changed is None else changed
        unknown = [f for f in changed if f not in coll.fields]
        if unknown:
            errs = {f: [problem("unknown_field")] for f in unknown}
            return _rejected(n, record_id, problem("validation_failed"), errs), None
        unseen = self._unseen(coll, existing, record_id, m)
        before = existing.version
        field_versions = dict(existing.field_versions or {})
        to_apply = []
        for f in changed:
            incoming = coll.field_to_wire(f, values[f])
            current = coll.get_field(existing, f)
            if incoming == current:
                continue
            if f in unseen:
                conflicts.append(self._conflict("field", f, current, incoming, m, existing))
            else:
                to_apply.append(f)
        if to_apply:
            existing.version = before + 1
            for f in to_apply:
                coll.set_field(existing, f, values[f])
                field_versions[f] = existing.version
            existing.field_versions = field_versions
            coll.stamp(existing, self.actor, False, values)
            self._flush()
        if conflicts:
            status = "conflict"
        elif to_apply and unseen:
            status = "merged"
        else:
            status = "applied"
        sent = _wire_values(coll, values)
        answer = _answer(n, record_id, status, existing, coll, sent)
        return answer, (existing if to_apply else None)

    def _delete(
        self, coll: Collection, m: dict, record_id: uuid.UUID, conflicts: list[dict]
    ) -> tuple[dict, Any]:
        n = m["n"]
        existing = self._get(coll, record_id)
        if existing is None or not coll.readable(self.actor, existing):
            # Never reached the server (or was refused), or is none of this user's
            # business: nothing to delete that they can see. One answer for both, so a
            # delete cannot probe whether an id exists in another branch.
            return {
                "n": n,
                "id": str(record_id),
                "status": "applied",
                "version": None,
                "deleted": True,
            }, None
        found = coll.check(self.actor, existing, None, "delete")
        if found:
            return _rejected(n, record_id, found), None
        if existing.deleted_at is not None:
            return _answer(n, record_id, "applied", existing), None
        if self._unseen(coll, existing, record_id, m):
            conflicts.append(self._conflict("delete_edited", None, None, None, m, existing))
            return _answer(n, record_id, "conflict", existing, coll), None
        existing.version += 1
        existing.deleted_at = self.now
        coll.stamp(existing, self.actor, False, {})
        self._flush()
        return _answer(n, record_id, "applied", existing), existing

    # -- bookkeeping ----------------------------------------------------------------------
    def _conflict(
        self,
        kind: str,
        field: str | None,
        server_value: Any,
        client_value: Any,
        m: dict,
        existing: Any,
    ) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "field": field,
            "server_value": server_value,
            "client_value": client_value,
            "base_version": m.get("base_version"),
            "server_version": existing.version,
        }

    def _keep_conflict(
        self, coll: Collection | None, record_id: uuid.UUID, n: int, c: dict
    ) -> None:
        self.conflict_rows.append(
            {
                "id": uuid.UUID(c["id"]),
                "collection": coll.name if coll else "?",
                "record_id": record_id,
                "kind": c["kind"],
                "field": c["field"],
                "server_value": c["server_value"],
                "client_value": c["client_value"],
                "base_version": c["base_version"],
                "server_version": c["server_version"],
                "device_id": self.device_id,
                "mutation_n": n,
                "actor": self.actor_key,
                "created_at": self.now,
            }
        )

    def _log(self, m: dict, record_id: uuid.UUID, result: dict, produced: int | None) -> None:
        status = result["status"]
        base = m.get("base_version")
        base = base if isinstance(base, int) and not isinstance(base, bool) else None
        copied = "record" in result
        self.history.setdefault(record_id, []).append((m["n"], produced, base or 0, copied))
        keep = status in ("rejected", "conflict")
        row = {
            "device_id": self.device_id,
            "n": m["n"],
            "payload_hash": payload_hash(m),
            "result": result,
            "status": status,
            "collection": str(m["collection"])[:40],
            "record_id": record_id,
            "version": produced,
            "base_version": base,
            "copied": copied,
            "actor": self.actor_key,
            "payload": m if keep else None,
            "received_at": self.now,
        }
        self.log_rows.append(row)

    def finish(self) -> None:
        """Number the changes, write the records, the log and the conflicts.

        The numbers are taken last, just before the caller commits, so the counter's lock
        is held only for these few statements.
        """
        if self.touched:
            with self.session.no_autoflush:  # insert the rows once, already numbered
                numbers = allocate(self.session, len(self.touched))
            for obj, number in zip(self.touched.values(), numbers, strict=True):
                obj.change_seq = number
        created: dict[str, list[NewRecord]] = {}
        for (name, _rid), obj in self.touched.items():
            if isinstance(obj, NewRecord):
                created.setdefault(name, []).append(obj)
        for name, records in created.items():
            self.registry.get(name).insert_new(self.session, records)
        self.session.flush()
        if self.log_rows:
            self.session.execute(insert(sync_mutations), self.log_rows)
        if self.conflict_rows:
            self.session.execute(insert(sync_conflicts), self.conflict_rows)


def _wire_values(coll: Collection, values: dict[str, Any]) -> dict[str, Any]:
    return {f: coll.field_to_wire(f, values[f]) for f in coll.fields}


def _answer(
    n: int,
    record_id: uuid.UUID,
    status: str,
    obj: Any,
    coll: Collection | None = None,
    sent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One mutation's answer. ``record`` (the server's copy) is added when it differs from
    what the device sent, so the device need not wait for a pull that may already have
    passed this record."""
    out = {
        "n": n,
        "id": str(record_id),
        "status": status,
        "version": obj.version,
        "deleted": obj.deleted_at is not None,
    }
    if coll is not None and obj.deleted_at is None:
        if sent is None or any(coll.get_field(obj, f) != sent.get(f) for f in coll.fields):
            out["record"] = coll.to_wire(obj)
    return out


def _rejected(
    n: int, record_id: uuid.UUID, reason: dict, errors: dict | None = None
) -> dict[str, Any]:
    out = {"n": n, "id": str(record_id), "status": "rejected", "reason": reason}
    if errors:
        out["errors"] = errors
    return out
