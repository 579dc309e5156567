"""Migrations are the only way the schema is made; they must match the models exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from server.extensions import db
from server.migrating import CONFIGURE_ARGS, target_metadata
from server.models import Activity, Evidence, UnitKind, report_totals
from server.reports.totals import refresh
from sync.changes import allocate, sync_state
from tests import factories as f


def _differences() -> list:
    with db.engine.connect() as conn:
        opts = {k: v for k, v in CONFIGURE_ARGS.items() if k.startswith("compare")}
        mc = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(mc, target_metadata())


def test_models_and_migrations_agree(ctx):
    assert _differences() == []


def test_migrations_go_down_and_up_again(ctx):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []


def test_a_new_database_has_its_own_epoch_and_a_zero_counter(ctx):
    row = db.session.execute(select(sync_state)).one()
    assert row.id == 1 and row.last_change == 0
    assert len(row.epoch) == 36


def test_rows_from_before_0010_keep_the_clocks_they_were_judged_by(ctx):
    """Migration 0010 back-fills when each entry was sent up: its arrival and its typing
    time (not the implausible one), for entries ever sent up; drafts stay unstamped."""
    typed = datetime(2026, 11, 18, 9, tzinfo=UTC)
    branch = f.unit("X1", f.unit("X", None, UnitKind.PROVINCE))
    rows = {
        "returned": f.activity(branch, date(2026, 10, 5), status="returned", recorded_at=typed),
        "draft": f.activity(branch, date(2026, 10, 5), status="draft", recorded_at=typed),
        "suspect": f.activity(
            branch,
            date(2026, 10, 5),
            status="verified",
            recorded_at=typed,
            recorded_at_suspect=True,
        ),
    }
    ids = {name: a.id for name, a in rows.items()}
    db.session.commit()
    db.session.remove()
    downgrade(revision="6af10e64edee")
    upgrade()
    got = {
        r.id: r
        for r in db.session.execute(
            select(
                Activity.id, Activity.created_at, Activity.submitted_at, Activity.submitted_typed_at
            )
        )
    }
    returned, draft, suspect = (got[ids[k]] for k in ("returned", "draft", "suspect"))
    assert returned.submitted_at == returned.created_at and returned.submitted_typed_at == typed
    assert draft.submitted_at is None and draft.submitted_typed_at is None
    assert suspect.submitted_at == suspect.created_at and suspect.submitted_typed_at is None


def test_0017_flags_the_activities_that_have_a_stored_photo_and_counts_them(ctx):
    """Migration 0017 sets ``proven`` from the photos already stored, and marks their days
    so that the totals worker counts them (decision 191)."""
    branch = f.unit("Y1", f.unit("Y", None, UnitKind.PROVINCE))
    day = date(2026, 10, 6)
    acts = [f.activity(branch, day, status="submitted") for _ in range(3)]
    for a, stored, deleted in ((acts[0], True, None), (acts[1], False, None)):
        db.session.add(
            Evidence(
                id=uuid.uuid4(),
                activity_id=a.id,
                unit_id=branch.id,
                sha256=a.id.hex * 2,
                size=1,
                content_type="image/jpeg",
                width=1,
                height=1,
                stored=stored,
                deleted_at=deleted,
                change_seq=allocate(db.session)[0],
            )
        )
    db.session.commit()
    refresh(db.session())
    ids, branch_id = [a.id for a in acts], branch.id
    db.session.remove()
    downgrade(revision="7e3a9c41d2b6")
    upgrade()
    flags = dict(db.session.execute(select(Activity.id, Activity.proven)).all())
    assert [flags[i] for i in ids] == [True, False, False]
    refresh(db.session())
    proven = db.session.scalar(
        select(func.sum(report_totals.c.proven)).where(
            report_totals.c.unit_id == branch_id, report_totals.c.day == day
        )
    )
    assert proven == 1
