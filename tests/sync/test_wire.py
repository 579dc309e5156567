"""The record kept ready for pulls (``activities.wire``) never differs from the record
built from its columns, whichever path wrote the row."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import column, insert, select, table

from server.activities.sync import ActivityCollection
from server.extensions import db
from server.models import Activity
from server.models.types import utcnow
from tests.world import activity_record


def _stale(app) -> list[str]:
    """Ids whose stored record differs from the one built from the columns."""
    with app.app_context():
        coll = ActivityCollection()
        return [
            str(a.id)
            for a in db.session.scalars(select(Activity))
            if json.loads(a.wire) != coll.to_wire(a)
        ]


def test_every_write_path_keeps_the_stored_record_current(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    b1 = world.ids["b1"]
    ids = [uuid.uuid4() for _ in range(3)]
    hoa.push(
        *[
            hoa.mutation("upsert", i, activity_record(b1, title=f"Số {n}"))
            for n, i in enumerate(ids)
        ]
    )
    base = activity_record(b1)
    # An edit, a merge of two edits, and a conflict resolved through the API.
    hoa.push(
        hoa.mutation(
            "upsert", ids[0], {**base, "place": "Xóm Nà Pù"}, base_version=1, changed=["place"]
        )
    )
    out = lan.push(
        lan.mutation(
            "upsert",
            ids[0],
            {**base, "place": "Trường", "members_count": 3},
            base_version=1,
            changed=["place", "members_count"],
        )
    )
    (conflict,) = out["results"][0]["conflicts"]
    resp = lan.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "client"})
    assert resp.status_code == 200, resp.get_json()
    # A change made on the server by the ORM, as a reviewer's decision is.
    with world.app.app_context():
        a = db.session.get(Activity, ids[1])
        a.status, a.review_comment = "returned", "Thiếu <b>số hồ sơ</b> & ảnh"
        a.version += 1
        db.session.commit()
    assert _stale(world.app) == []

    lan.sync_down()
    assert lan.store[str(ids[0])]["place"] == "Trường"
    assert lan.store[str(ids[0])]["members_count"] == 3
    assert lan.store[str(ids[1])]["review_comment"] == "Thiếu <b>số hồ sơ</b> & ảnh"
    assert "id" not in lan.store[str(ids[1])] and "version" not in lan.store[str(ids[1])]


def test_the_demo_seed_stores_ready_records(app, runner):
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert _stale(app) == []


def test_the_migration_renders_rows_written_before_it(ctx):
    """Rows from before the column existed are rendered by the migration itself."""
    downgrade(revision="fc04e2669e2e")
    from tests import factories as f

    unit = f.chain(1)[-1]
    type_id = f.activity_type("tinh_nguyen").id
    rid = uuid.uuid4()
    now = utcnow()
    columns = {c.name for c in Activity.__table__.c} - {"wire"}
    row = {
        "id": rid,
        "unit_id": unit.id,
        "type_id": type_id,
        "title": "Làm đường bê tông <xóm> Pác Bó",
        "starts_on": date(2016, 3, 26),
        "ends_on": date(2016, 3, 26) + timedelta(days=1),
        "place": "Pác Bó",
        "members_count": 20,
        "citizens_served": 0,
        "volunteer_hours": 160,
        "quantities": {"road_km": 0.5},
        "description": "",
        "status": "verified",
        "review_comment": None,
        "search_fold": "",
        "created_at": now,
        "updated_at": now,
        "recorded_at": None,
        "recorded_at_suspect": False,
        "version": 3,
        "field_versions": {},
        "change_seq": 1,
    }
    assert set(row) <= columns
    # The columns of that time only: later columns' defaults would name columns the
    # downgraded table does not have.
    then = table(
        "activities", *(column(c.name, c.type) for c in Activity.__table__.c if c.name in row)
    )
    db.session.execute(insert(then).values(row))
    db.session.commit()
    upgrade()
    a = db.session.get(Activity, rid)
    assert json.loads(a.wire) == ActivityCollection().to_wire(a)
    assert json.loads(a.wire)["type"] == "tinh_nguyen"


def test_a_collection_without_a_stored_record_gets_the_same_pull(world):
    """The engine builds records with ``to_wire`` for collections that keep none ready."""
    from server.models import User
    from server.policy import scope_tag
    from sync.collection import Registry
    from sync.pull import pull

    class Plain(ActivityCollection):
        wire_column = None
        pull_skips = ("wire", "field_versions", "search_fold")

    hoa = world.phone("hoa")
    hoa.push(
        *[
            hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"], title=f"Số {i}"))
            for i in range(3)
        ]
    )
    with world.app.app_context():
        user = db.session.scalars(select(User).where(User.username == "hoa")).one()
        pages = []
        for coll in (ActivityCollection(), Plain()):
            registry = Registry()
            registry.register(coll)
            page = pull(db.session(), registry, scope=user, scope_tag=scope_tag(user), cursor=None)
            pages.append(page.changes)
            db.session.rollback()
    assert len(pages[0]) == 3 and pages[0] == pages[1]
