from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import ActivityType, Phase, Pillar, UnitKind, User
from tests import factories as f


def test_seed_catalogue_adds_what_is_missing_only(app, runner):
    result = runner.invoke(args=["seed-catalogue"])
    assert result.exit_code == 0, result.output
    assert "activity_types +14" in result.output
    with app.app_context():
        t = db.session.scalars(select(ActivityType).where(ActivityType.code == "thi_dua")).one()
        t.name_vi = "Đợt thi đua (đã sửa)"
        db.session.commit()
    result = runner.invoke(args=["seed-catalogue"])
    assert "pillars +0, activity_types +0, phases +0" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pillar)) == 3
        assert db.session.scalar(select(func.count()).select_from(Phase)) >= 1
        assert (
            db.session.scalar(select(ActivityType.name_vi).where(ActivityType.code == "thi_dua"))
            == "Đợt thi đua (đã sửa)"
        )


def test_create_user_for_the_first_admin(app, runner):
    with app.app_context():
        f.unit("CB", None, UnitKind.PROVINCE)
        db.session.commit()
    args = [
        "create-user",
        "--username",
        "Admin",
        "--full-name",
        "Quản trị",
        "--unit",
        "CB",
        "--password",
        "mot-mat-khau-dai",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.username, user.role) == ("admin", "admin")
        assert user.password_hash.startswith("$argon2id$")
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    missing = runner.invoke(args=[*args[:-4], "--unit", "NOPE", "--password", "x" * 10])
    assert missing.exit_code != 0 and "no unit" in missing.output
