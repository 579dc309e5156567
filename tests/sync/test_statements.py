"""How many SQL statements a sync request costs.

At ≈ 0.7 ms a statement through SQLAlchemy on PostgreSQL, the fixed cost of a request is
mostly its statement count: a dozen per pull was most of an idle poll. These counts are
the budget; a change that adds a statement to every pull should have to change this file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from server.extensions import db
from server.models import Device
from tests.world import activity_record


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The statements sent while the block runs (SQLite's explicit BEGIN not counted:
    PostgreSQL's is implicit)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split())[:80])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_pull_page_reads_token_scope_counter_and_records_once(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    hoa.push(
        *[hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])) for _ in range(5)]
    )
    first = lan.pull(cursor=None, limit=2)  # marks the device seen: a write, once
    reference = first["reference"]["hash"]
    with statements(world.app) as middle:
        page = lan.pull(cursor=first["cursor"], limit=2, reference=reference)
    assert page["has_more"] and len(page["changes"]) == 2 and "reference" not in page
    # The device with its user, the scope's units, the change counter (with the token of
    # the cursor's change), the records (one query per collection: activities, evidence),
    # and the token of the change the new cursor points at (a page that ends before the
    # last change only).
    assert len(middle) == 6, middle
    with statements(world.app) as last:
        page = lan.pull(cursor=page["cursor"], limit=2, reference=reference)
    assert not page["has_more"] and "reference" not in page
    # The same, and the reference data to check its hash: units, pillars, types, phases.
    assert len(last) == 9, last
    with statements(world.app) as idle:
        again = lan.pull(cursor=page["cursor"], limit=2, reference=reference)
    assert again["changes"] == [] and again["cursor"] == page["cursor"]
    # An idle poll: the device, the scope, the counter with both tokens, the records (none,
    # one query per collection), and the reference data checked on the last page.
    assert len(idle) == 9, idle


def test_an_outbox_report_that_changed_is_kept_in_its_own_transaction(world):
    lan = world.phone("lan")
    lan.pull(cursor=None)
    body = {"device_id": str(lan.device_id), "cursor": None, "reference": None}
    resp = lan.post(
        "/api/v1/sync/pull",
        {**body, "outbox": {"count": 3, "oldest": "2026-11-20T08:00:00+07:00"}},
    )
    assert resp.status_code == 200
    with statements(world.app) as same:
        resp = lan.post(
            "/api/v1/sync/pull",
            {**body, "outbox": {"count": 3, "oldest": "2026-11-20T08:00:00+07:00"}},
        )
    assert resp.status_code == 200
    assert not [s for s in same if s.startswith("UPDATE devices")]
    with world.app.app_context():
        device = db.session.get(Device, lan.device_id)
        assert device.pending_count == 3
        assert device.pending_since.isoformat() == "2026-11-20T01:00:00+00:00"


def test_a_push_costs_the_same_few_statements_whatever_its_size(world):
    """Token and user, the device's row (locked and read in one upsert), the records,
    the catalogue, the writable units, the counter and its numbering's token (restores
    are caught by it, decision 91), the records written (one INSERT with
    the report deltas, or one UPDATE), the log, the device's number; and this device's
    earlier mutations of the records only when it edits stored ones."""
    hoa = world.phone("hoa")
    b1 = world.ids["b1"]
    ids = [uuid.uuid4() for _ in range(20)]
    hoa.push(hoa.mutation("upsert", uuid.uuid4(), activity_record(b1)))  # the device's row
    with statements(world.app) as created:
        hoa.push(
            *[
                hoa.mutation("upsert", i, activity_record(b1, title=f"Số {k}", status="submitted"))
                for k, i in enumerate(ids)
            ]
        )
    assert len(created) == 12, created
    edits = [
        hoa.mutation(
            "upsert",
            i,
            activity_record(b1, title=f"Sửa {k}", status="submitted"),
            base_version=1,
            changed=["title"],
        )
        for k, i in enumerate(ids)
    ]
    with statements(world.app) as edited:
        out = hoa.push(*edits)
    assert {r["status"] for r in out["results"]} == {"applied"}
    assert len(edited) == 12, edited
    assert not [s for s in edited if s.startswith("SELECT activity_types.code")]
