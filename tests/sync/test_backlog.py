"""Weeks offline: a large backlog goes up in bounded, acknowledged batches."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity
from tests.world import activity_record

BACKLOG = 10_000
BATCH = 200


@pytest.mark.slow
def test_a_ten_thousand_entry_backlog_goes_up_in_batches_and_comes_down_paged(world):
    phone = world.phone("hoa")
    outbox = [
        phone.mutation(
            "upsert", uuid.uuid4(), activity_record(world.ids["b1"], title=f"Hoạt động số {i}")
        )
        for i in range(BACKLOG)
    ]
    while outbox:
        batch, outbox = outbox[:BATCH], outbox[BATCH:]
        out = phone.push(*batch)
        # Each batch is committed and acknowledged before the next is sent.
        assert out["last_applied"] == batch[-1]["n"]
        assert {r["status"] for r in out["results"]} == {"applied"}
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == BACKLOG

    fresh = world.phone("lan")
    first = fresh.pull(cursor=None, limit=1000)
    fresh.cursor = first["cursor"]
    fresh.store = {c["id"]: c["record"] for c in first["changes"]}
    # Interrupted after one page; resumes from the stored cursor.
    pages = fresh.sync_down(limit=1000)
    assert pages == BACKLOG // 1000 - 1
    assert len(fresh.store) == BACKLOG
