"""Targets: a total for a unit's subtree, or so many by each unit of a kind below it."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import event, select

from server.extensions import db
from server.models import ActivityType, AuditEvent, Unit
from server.reports import periods
from server.reports.targets import progress_for
from server.reports.totals import refresh
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in


def test_progress_of_a_total_and_of_an_each_unit_target(app, tree):  # noqa: F811
    caught_up(app)
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
        # b1 counts on A's page only what it did under A (August), not its May.
        assert [(u.code, n) for u, n in each.units] == [("A2", 0), ("B1", 1), ("A1", 2)]
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
    caught_up(app)
    district = signed_in(app, "huyen-a")
    district.post(
        f"/reports/{tree['A']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    resp = district.get(f"/reports/{tree['A']}/export.csv?p=2026&table=targets")
    lines = resp.data.decode("utf-8").splitlines()
    assert lines[1].startswith("Mỗi chi đoàn: 1 hoạt động (mọi loại),Đoàn xã A,")
    assert lines[1].endswith(",2,3,67%")
    assert [line.split(",")[0] for line in lines[2:-1]] == [
        "— Chi đoàn a2",
        "— Chi đoàn b1",
        "— Chi đoàn a1",
    ]
    assert lines[-1] == "Tổng cộng: 1 chỉ tiêu (0 đã đạt),,,,,,"


def test_a_target_set_above_shows_only_the_readers_part(app, tree):  # noqa: F811
    caught_up(app)
    """A province target on a district's page counts the district's own contribution,
    never the province-wide figure (which holds the other districts' activities), and a
    branch moved in from B counts only what it did once under A — page and exports."""
    province = signed_in(app, "tinh")
    for each in ("", "branch"):
        province.post(
            f"/reports/{tree['P']}/targets?p=2026",
            data={"type_id": "0", "each_kind": each, "activities": "10"},
        )
    whole = province.get(f"/reports/{tree['P']}/targets?p=2026").get_data(as_text=True)
    assert "4/10" in whole  # the province's own page: all four 2026 activities
    district = signed_in(app, "huyen-a")
    page = district.get(f"/reports/{tree['A']}/targets?p=2026").get_data(as_text=True)
    assert "4/10" not in page and "3/10" in page
    assert "Phần của Đoàn xã A" in page
    # b1's May activity was done under B: on A's page b1 has done one thing, not two.
    assert "2/10" in page  # a1
    assert page.count("1/10") == 1  # b1 (A's August activity only)
    csv = district.get(f"/reports/{tree['A']}/export.csv?p=2026&table=targets")
    lines = csv.data.decode("utf-8").splitlines()
    total = next(line for line in lines if line.startswith("10 hoạt động"))
    assert ",3,10," in total and ",4,10," not in total
    assert "Phần của Đoàn xã A" in total
    rows = {line.split(",")[0]: line.split(",")[4] for line in lines if line.startswith("—")}
    assert rows == {"— Chi đoàn a2": "0", "— Chi đoàn b1": "1", "— Chi đoàn a1": "2"}
    xlsx = district.get(f"/reports/{tree['A']}/export.xlsx?p=2026&table=targets")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert not any(r[4:6] == [4, 10] for r in cells)
    assert any(r[4:6] == [3, 10] for r in cells)


def test_progress_takes_as_many_queries_for_many_targets_as_for_one(app, tree):  # noqa: F811
    def statements(unit_id: int) -> int:
        seen = []

        def note(*_args):
            seen.append(1)

        with app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", note)
            try:
                progress_for(db.session.get(Unit, unit_id), periods.year(2026), within=tree["A"])
            finally:
                event.remove(engine, "before_cursor_execute", note)
            db.session.rollback()
        return len(seen)

    district = signed_in(app, "huyen-a")

    def target(each: str, n: str) -> None:
        district.post(
            f"/reports/{tree['A']}/targets?p=2026",
            data={"type_id": "0", "each_kind": each, "activities": n},
        )

    target("", "5")
    target("branch", "1")
    with app.app_context():
        refresh(db.session())
        db.session.commit()
    few = statements(tree["A"])
    for n in range(2, 8):
        target("", str(n * 3))
        target("branch", str(n))
    many = statements(tree["A"])
    assert many == few <= 10  # the unit, its chain, targets, units, types, 3 counts
