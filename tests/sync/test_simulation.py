"""Property-based simulation of phones syncing through a bad network.

Several devices (two phones of one member, one of another, same branch) go offline and
online, lose requests and responses, create, edit and delete shared records, and push in
interleaved batches — a client written from docs/PROTOCOL.md. Once the network is healthy
and everyone has synced:

* every device's store equals the server's records for its scope;
* every mutation ever made was answered exactly once — applied, merged, kept as a
  conflict or rejected — none vanished, none applied twice;
* no value was lost: every value a device wrote that the server took (applied, merged,
  or the fields of a conflict answer that did not conflict) is still on the server, or
  was overwritten or deleted by a device that had that value in its store when it made
  its change. Every written value is unique, so the server's value names its writer.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity
from sync.tables import sync_conflicts, sync_mutations
from tests.world import Phone, World, activity_record

FIELDS = ("title", "place", "members_count", "citizens_served")
VALUES = {
    "title": st.sampled_from(["Trồng cây", "Thăm hỏi", "Dọn vệ sinh", "Tư vấn pháp luật"]),
    "place": st.sampled_from(["Nà Mạ", "Cốc Lùng", "UBND xã", "Trường học"]),
    "members_count": st.integers(0, 50),
    "citizens_served": st.integers(0, 300),
}
FATES = st.sampled_from(["ok", "ok", "ok", "lost_request", "lost_response"])


class Client:
    """A device following the protocol's client obligations."""

    def __init__(self, phone: Phone, unit_id: int, serial: itertools.count) -> None:
        self.phone = phone
        self.serial = serial
        # Every value each (record, field) ever had in this device's store, and what it
        # held when it made each mutation (by number): what the device has seen.
        self.held: dict[tuple[str, str], set] = {}
        self.seen_at: dict[int, dict[str, frozenset]] = {}
        self.unit_id = unit_id
        self.store: dict[str, dict] = {}
        self.known: dict[str, int] = {}
        self.deferred: dict[str, tuple[int, dict | None]] = {}
        self.outbox: list[dict] = []
        self.answers: dict[int, dict] = {}
        self.made: list[dict] = []

    # -- local edits ---------------------------------------------------------------------
    def queue(self, op: str, rid: str, record: dict | None, changed: list[str] | None) -> None:
        m = self.phone.mutation(op, rid, record, base_version=self.known.get(rid), changed=changed)
        self.seen_at[m["n"]] = {f: frozenset(self.held.get((rid, f), ())) for f in FIELDS}
        self.outbox.append(m)
        self.made.append(m)

    def _hold(self, rid: str, record: dict) -> None:
        self.store[rid] = record
        for f in FIELDS:
            self.held.setdefault((rid, f), set()).add(record[f])

    def unique(self, value: Any) -> Any:
        """The drawn value made unique, so a value on the server names its writer."""
        k = next(self.serial)
        return f"{value} {k}" if isinstance(value, str) else 1000 + k

    def create(self, title: str) -> str:
        rid = str(uuid.uuid4())
        record = activity_record(self.unit_id, title=self.unique(title), quantities={})
        self.queue("upsert", rid, dict(record), None)  # what it held before: nothing
        self._hold(rid, record)
        return rid

    def edit(self, rid: str, field: str, value: Any) -> None:
        if rid not in self.store:
            return
        record = {**self.store[rid], field: self.unique(value)}
        self.queue("upsert", rid, dict(record), [field])  # what it held before this edit
        self._hold(rid, record)

    def delete(self, rid: str) -> None:
        if rid not in self.store:
            return
        del self.store[rid]
        self.queue("delete", rid, None, None)

    # -- network -------------------------------------------------------------------------
    def pending(self, rid: str) -> bool:
        return any(m["id"] == rid for m in self.outbox)

    def take(self, rid: str, version: int, record: dict | None) -> None:
        """A server copy arrived (record None = deleted): keep the newest."""
        if self.pending(rid):
            if version >= self.deferred.get(rid, (-1, None))[0]:
                self.deferred[rid] = (version, record)
            return
        if version < self.known.get(rid, 0):
            return
        self.known[rid] = version
        if record is None:
            self.store.pop(rid, None)
        else:
            self._hold(rid, _local(record))

    def push(self, size: int, fate: str) -> None:
        batch = self.outbox[:size]
        if not batch or fate == "lost_request":
            return
        out = self.phone.push(*batch)
        if fate == "lost_response":
            return
        for result in out["results"]:
            n, rid = result["n"], result["id"]
            assert n not in self.answers or self.answers[n] == result, "answered twice"
            self.answers[n] = result
            self.outbox = [m for m in self.outbox if m["n"] != n]
            if result["status"] == "rejected":
                continue
            version = result["version"]
            if result["deleted"]:
                self.take(rid, version, None)
            elif "record" in result:
                self.take(rid, version, result["record"])
            else:
                self.known[rid] = max(self.known.get(rid, 0), version)
            if not self.pending(rid) and rid in self.deferred:
                v, record = self.deferred.pop(rid)
                self.take(rid, v, record)

    def pull(self, fate: str) -> None:
        if fate == "lost_request":
            return
        page = self.phone.pull(limit=3)
        if fate == "lost_response":
            return
        for c in page["changes"]:
            self.take(c["id"], c["version"], c["record"])
        self.phone.cursor = page["cursor"]

    def settle(self) -> None:
        while self.outbox:
            self.push(200, "ok")
        while True:
            page = self.phone.pull(limit=3)
            for c in page["changes"]:
                self.take(c["id"], c["version"], c["record"])
            self.phone.cursor = page["cursor"]
            if not page["has_more"]:
                break


def _diverged(i: int, c: Client, server: dict) -> str:
    """What a failure needs to be understood (it failed once on PostgreSQL in CI and did
    not reproduce): the records that differ, what the server holds of them, and the
    device's bookkeeping of each."""
    ids = sorted(k for k in set(c.store) | set(server) if c.store.get(k) != server.get(k))
    lines = [f"device {i} diverged from the server on {len(ids)} record(s)"]
    for rid in ids:
        row = db.session.execute(
            select(Activity.version, Activity.change_seq, Activity.deleted_at).where(
                Activity.id == uuid.UUID(rid)
            )
        ).first()
        mine = [(m["n"], m["op"]) for m in c.made if m["id"] == rid]
        lines.append(
            f"  {rid}: device {c.store.get(rid)!r}; server {server.get(rid)!r}, row {row}; "
            f"known {c.known.get(rid)}, deferred {c.deferred.get(rid)}, "
            f"pending {c.pending(rid)}, its mutations {mine}, "
            f"answers {[c.answers.get(n) for n, _ in mine]}"
        )
    return "\n".join(lines)


def _local(record: dict) -> dict:
    return {k: record[k] for k in activity_record(0) if k in record}


def run_simulation(
    world: World,
    *,
    fields: tuple[str, ...] = FIELDS,
    shared: bool = False,
    examples: int = 25,
    steps: int = 30,
) -> None:
    """``shared``: one record, on every device from the start, and no creates — edits of
    few ``fields`` then cross far more often than among many records."""
    unit = world.ids["b1"]

    class Simulation(RuleBasedStateMachine):
        records = Bundle("records")

        @initialize(target=records)
        def devices(self) -> Any:
            serial = itertools.count()
            self.clients = [Client(world.phone(u), unit, serial) for u in ("hoa", "hoa", "lan")]
            if not shared:
                return multiple()
            rid = self.clients[0].create("Việc chung")
            for c in self.clients:
                c.settle()
            return rid

        @precondition(lambda self: not shared)
        @rule(target=records, who=st.integers(0, 2), title=VALUES["title"])
        def create(self, who: int, title: str) -> str:
            return self.clients[who].create(title)

        @rule(who=st.integers(0, 2), rid=records, field=st.sampled_from(fields), data=st.data())
        def edit(self, who: int, rid: str, field: str, data: st.DataObject) -> None:
            self.clients[who].edit(rid, field, data.draw(VALUES[field]))

        @rule(who=st.integers(0, 2), rid=consumes(records))
        def delete(self, who: int, rid: str) -> None:
            self.clients[who].delete(rid)

        @precondition(lambda self: any(c.outbox for c in self.clients))
        @rule(who=st.integers(0, 2), size=st.integers(1, 5), fate=FATES)
        def push(self, who: int, size: int, fate: str) -> None:
            self.clients[who].push(size, fate)

        @rule(who=st.integers(0, 2), fate=FATES)
        def pull(self, who: int, fate: str) -> None:
            self.clients[who].pull(fate)

        @invariant()
        def answers_are_final(self) -> None:
            for c in getattr(self, "clients", []):
                assert all(m["n"] not in c.answers for m in c.outbox)

        def teardown(self) -> None:
            if not hasattr(self, "clients"):
                return
            for c in self.clients:
                c.settle()
            for c in self.clients:  # a second round: others' last pushes
                c.settle()
            check(world, self.clients)

    run = Simulation.TestCase
    run.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    run().runTest()


def check(world: World, clients: list[Client]) -> None:
    with world.app.app_context():
        live = {
            str(a.id): a
            for a in db.session.scalars(
                select(Activity).where(
                    Activity.unit_id == world.ids["b1"], Activity.deleted_at.is_(None)
                )
            )
        }
        from server.activities.sync import ActivityCollection

        wire = ActivityCollection()
        server = {rid: _local(wire.to_wire(a)) for rid, a in live.items()}
        for i, c in enumerate(clients):
            assert c.store == server, _diverged(i, c, server)
            # Every mutation answered once; the server logged each exactly once.
            made = [m["n"] for m in c.made]
            assert sorted(c.answers) == made
            assert {r["status"] for r in c.answers.values()} <= {
                "applied",
                "merged",
                "conflict",
                "rejected",
            }
            logged = db.session.execute(
                select(sync_mutations.c.n, func.count())
                .where(sync_mutations.c.device_id == c.phone.device_id)
                .group_by(sync_mutations.c.n)
            ).all()
            assert sorted(n for n, _ in logged) == made and all(k == 1 for _, k in logged)
            # A conflict answer means the losing value is kept, not dropped.
            for n, r in c.answers.items():
                if r["status"] == "conflict":
                    kept = db.session.scalar(
                        select(func.count())
                        .select_from(sync_conflicts)
                        .where(
                            sync_conflicts.c.device_id == c.phone.device_id,
                            sync_conflicts.c.mutation_n == n,
                        )
                    )
                    assert kept >= 1
        # Creates applied once: one row per created id, whatever the retries.
        created = {
            m["id"]
            for c in clients
            for m in c.made
            if m["base_version"] is None and m["op"] == "upsert"
        }
        rows = db.session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.id.in_([uuid.UUID(i) for i in created]))
        )
        assert rows == len(created)  # every create stored once (deleted ones as tombstones)
        db.session.rollback()
    no_value_lost(server, clients)


def no_value_lost(server: dict[str, dict], clients: list[Client]) -> None:
    """Every value the server took is still there, or was replaced (or deleted) by a
    change whose device had seen it: a same-field change the device had not seen must
    have been kept as a conflict instead."""
    taken: list[tuple[str, str, Any]] = []
    replacers: dict[tuple[str, str], list[frozenset]] = {}
    for c in clients:
        for m in c.made:
            answer = c.answers[m["n"]]
            if answer["status"] == "rejected":
                continue
            rid, seen = m["id"], c.seen_at[m["n"]]
            if m["op"] == "delete":
                if answer["deleted"] and answer["version"] is not None:
                    for f in FIELDS:
                        replacers.setdefault((rid, f), []).append(seen[f])
                continue
            lost = {x["field"] for x in answer.get("conflicts", [])}
            if any(x["kind"] == "edit_deleted" for x in answer.get("conflicts", [])):
                continue
            for f in m.get("changed") or FIELDS:
                if f not in lost:
                    taken.append((rid, f, m["record"][f]))
                    replacers.setdefault((rid, f), []).append(seen[f])
    for rid, f, value in taken:
        if rid in server and server[rid][f] == value:
            continue
        assert any(value in seen for seen in replacers[(rid, f)]), (
            f"{f}={value!r} of {rid} was overwritten by a device that never saw it"
        )


@pytest.mark.slow
def test_devices_converge_and_nothing_is_lost(world):
    run_simulation(world)


@pytest.mark.slow
def test_crossing_edits_of_one_record_lose_no_value(world):
    # A device whose merge answer came while it still had entries of the record waiting
    # has not seen the other fields of that answer; a lost update needs a few such steps
    # in a row, which many records and four fields make too rare to be found.
    run_simulation(world, fields=("title", "place"), shared=True, examples=30, steps=20)
