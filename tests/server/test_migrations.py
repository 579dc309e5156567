"""Migrations are the only way the schema is made; they must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from server.extensions import db
from server.migrating import CONFIGURE_ARGS, target_metadata
from sync.changes import sync_state


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
