"""The Cao Bằng demo: realistic shape, deterministic, and idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity, Role, Unit, UnitClosure, User
from server.units.service import subtree_ids
from sync.changes import current

TODAY = date(2026, 11, 27)


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Unit, UnitClosure, User, Activity)
    }


def test_seed_demo_builds_a_realistic_tree_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "sodoan-demo-2015" in result.output
    with app.app_context():
        first = counts()
        province = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).one()
        assert province.name == "Tỉnh Đoàn Cao Bằng"
        branches = db.session.scalars(
            select(Unit).where(Unit.kind == "branch", Unit.closed_on.is_(None))
        ).all()
        assert 200 <= len(branches) <= 1000
        today_tree = set(db.session.scalars(subtree_ids(province.id)))
        assert {b.id for b in branches} <= today_tree
        assert any(b.border_area for b in branches)
        assert max(u.depth for u in db.session.scalars(select(Unit))) >= 4
        roles = set(db.session.scalars(select(User.role)))
        assert roles == {r.value for r in Role}
        assert 2000 <= first["activities"] <= 10000
        years = set(db.session.scalars(select(Activity.starts_on).distinct()))
        assert any(d.year == 2016 for d in years)
        assert any((TODAY - d).days < 365 for d in years) and max(years) <= TODAY
        # Every activity's unit was open on its date, and numbers have no gaps.
        assert all(
            a.unit.opened_on <= a.starts_on
            and (a.unit.closed_on is None or a.starts_on < a.unit.closed_on)
            for a in db.session.scalars(select(Activity).limit(500))
        )
        seqs = sorted(db.session.scalars(select(Activity.change_seq)))
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert current(db.session).last_change == seqs[-1]

    again = runner.invoke(args=["seed-demo", "--today", TODAY.isoformat()])
    assert again.exit_code == 0, again.output
    assert "units +0" in again.output and "activities +0" in again.output
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "demo skipped" in skipped.output
    with app.app_context():
        assert counts() == first


def test_seed_demo_refuses_production(make_app, database_uri):
    app = make_app(SQLALCHEMY_DATABASE_URI=database_uri, SODOAN_ENV="production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "production" in result.output
