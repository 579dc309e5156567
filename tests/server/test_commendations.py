"""Nominations for commendation, backed by activities of the unit's own subtree."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.extensions import db
from server.models import Activity, AuditEvent, Nomination
from tests.server import sheets
from tests.server.test_reports import tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in


def ids_on(app, unit_id, *days) -> list[str]:
    with app.app_context():
        return [
            str(a.id)
            for a in db.session.scalars(
                select(Activity).where(Activity.unit_id == unit_id, Activity.starts_on.in_(days))
            )
        ]


def test_a_nomination_with_its_activities_is_listed_escaped_and_exported(app, tree):  # noqa: F811
    staff = signed_in(app, "huyen-a")
    backing = ids_on(app, tree["A1"], date(2026, 2, 10), date(2026, 3, 5))
    resp = staff.post(
        f"/reports/{tree['A']}/commendations?p=2026",
        data={
            "kind": "member",
            "name": "Nông Văn <b>Dũng</b>",
            "reason": "Dẫn đầu 2 đợt tình nguyện & hỗ trợ 5 hồ sơ đất đai",
            "activities": backing,
        },
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "Đã ghi đề nghị biểu dương" in page
    assert "Nông Văn &lt;b&gt;Dũng&lt;/b&gt;" in page and "<b>Dũng" not in page
    with app.app_context():
        n = db.session.scalars(select(Nomination)).one()
        assert sorted(str(a.id) for a in n.activities) == sorted(backing)
        assert (n.period_code, n.starts_on, n.ends_on) == (
            "2026",
            date(2026, 1, 1),
            date(2026, 12, 31),
        )
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "nomination.create")
        ).all() == ["nomination.create"]
    # The province sees it in its own list and export; another period does not.
    province = signed_in(app, "tinh")
    listed = province.get(f"/reports/{tree['P']}/commendations?p=2026").get_data(as_text=True)
    assert "Nông Văn &lt;b&gt;Dũng&lt;/b&gt;" in listed
    assert "Nông Văn" not in province.get(f"/reports/{tree['P']}/commendations?p=2025").get_data(
        as_text=True
    )
    xlsx = province.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=commendations")
    rows = sheets.read(xlsx.data).rows
    assert rows[0][:3] == ["Cá nhân", "Nông Văn <b>Dũng</b>", "Đoàn xã A"]
    assert "10/02/2026" in rows[0][4] and "05/03/2026" in rows[0][4]


def test_backing_activities_must_be_the_units_own_and_a_reason_is_needed(app, tree):  # noqa: F811
    staff = signed_in(app, "huyen-a")
    # b1's May activity: b1 was under B then, so it is not A's to cite.
    foreign = ids_on(app, tree["B1"], date(2026, 5, 1))
    resp = staff.post(
        f"/reports/{tree['A']}/commendations?p=2026",
        data={"kind": "model", "name": "Mô hình", "reason": "Tốt", "activities": foreign},
    )
    assert resp.status_code == 404
    empty = staff.post(
        f"/reports/{tree['A']}/commendations?p=2026",
        data={"kind": "model", "name": "Mô hình Ngày thứ bảy", "reason": " "},
        follow_redirects=True,
    )
    assert "Vui lòng ghi thành tích" in empty.get_data(as_text=True)
    member = signed_in(app, "member-a1")
    assert member.get(f"/reports/{tree['A1']}/commendations?p=2026").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Nomination)).all() == []


def test_the_form_offers_only_the_latest_activities_but_accepts_any_of_the_unit(
    app,
    tree,  # noqa: F811
    monkeypatch,
):
    from server.reports import views

    monkeypatch.setattr(views, "CANDIDATES", 1)
    staff = signed_in(app, "huyen-a")
    page = staff.get(f"/reports/{tree['A']}/commendations?p=2026").get_data(as_text=True)
    offered = ids_on(app, tree["B1"], date(2026, 8, 1))  # A's latest activity of 2026
    older = ids_on(app, tree["A1"], date(2026, 2, 10))
    assert page.count('name="activities"') == 1 and offered[0] in page
    resp = staff.post(
        f"/reports/{tree['A']}/commendations?p=2026",
        data={"kind": "member", "name": "Hoàng Thị Lan", "reason": "Tích cực", "activities": older},
    )
    assert resp.status_code == 302
