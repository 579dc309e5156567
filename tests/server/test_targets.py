"""Targets: a total for a unit's subtree, or so many by each unit of a kind below it."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import ActivityType, AuditEvent, Unit
from server.reports import periods
from server.reports.targets import progress_for
from server.reports.totals import refresh
from tests.server.test_reports import tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in


def test_progress_of_a_total_and_of_an_each_unit_target(app, tree):  # noqa: F811
    with app.app_context():
        thu_bay = db.session.scalars(
            select(ActivityType.id).where(ActivityType.code == "thu_bay_tinh_nguyen")
        ).one()
    district = signed_in(app, "huyen-a")
    resp = district.post(
        f"/reports/{tree['A']}/targets?p=2026",
        data={"type_id": str(thu_bay), "each_kind": "", "activities": "5"},
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "Đã đặt chỉ tiêu" in page and "2/5" in page
    province = signed_in(app, "tinh")
    province.post(
        f"/reports/{tree['P']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    with app.app_context():
        refresh(db.session())
        a = db.session.get(Unit, tree["A"])
        got = {
            (p.target.each_kind, p.set_at_unit.code): (p.done, p.goal)
            for p in progress_for(a, periods.year(2026))
        }
        # a1 and b1 (under A since July) did something in 2026; a2 did not.
        assert got == {(None, "A"): (2, 5), ("branch", "P"): (2, 3)}
        each = next(p for p in progress_for(a, periods.year(2026)) if p.target.each_kind)
        assert [(u.code, n) for u, n in each.units] == [("A2", 0), ("A1", 2), ("B1", 2)]
        b = db.session.get(Unit, tree["B"])
        assert [(p.done, p.goal) for p in progress_for(b, periods.year(2026))] == [(0, 0)]
        assert progress_for(a, periods.year(2025)) == []
        assert (
            len(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "target.set")
                ).all()
            )
            == 2
        )


def test_only_staff_within_scope_set_targets(app, tree):  # noqa: F811
    secretary = signed_in(app, "bithu-b1")
    resp = secretary.post(
        f"/reports/{tree['B1']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "", "activities": "3"},
    )
    assert resp.status_code == 404
    assert secretary.get(f"/reports/{tree['B1']}/targets?p=2026").status_code == 200
    district = signed_in(app, "huyen-a")
    assert (
        district.post(
            f"/reports/{tree['B']}/targets?p=2026",
            data={"type_id": "0", "each_kind": "", "activities": "3"},
        ).status_code
        == 404
    )
    bad = district.post(
        f"/reports/{tree['A']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "", "activities": "0"},
        follow_redirects=True,
    )
    assert "Từ 1 đến 100.000" in bad.get_data(as_text=True)


def test_targets_download(app, tree):  # noqa: F811
    district = signed_in(app, "huyen-a")
    district.post(
        f"/reports/{tree['A']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    resp = district.get(f"/reports/{tree['A']}/export.csv?p=2026&table=targets")
    lines = resp.data.decode("utf-8").splitlines()
    assert lines[1].startswith("Mỗi chi đoàn: 1 hoạt động (mọi loại),Đoàn xã A,")
    assert lines[1].endswith(",2,3,67%")
    assert [line.split(",")[0] for line in lines[2:]] == [
        "— Chi đoàn a2",
        "— Chi đoàn a1",
        "— Chi đoàn b1",
    ]
