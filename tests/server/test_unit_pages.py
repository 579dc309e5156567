"""The dashboard's unit pages: the tree in scope and its dated changes."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Unit
from server.units.service import subtree_ids
from tests.server.test_people import signed_in


def test_members_and_secretaries_do_not_get_unit_pages(world):
    assert signed_in(world.app, "hoa").get("/units/").status_code == 404


def test_staff_see_and_change_the_units_below_them_only(world):
    client = signed_in(world.app, "canbo")
    page = client.get("/units/").get_data(as_text=True)
    assert "Chi đoàn xóm Nà Mạ" in page and "Chi đoàn xóm Lũng Rì" not in page
    assert client.get(f"/units/{world.ids['b3']}").status_code == 404
    # Their own unit: visible, children may be added, but it is not theirs to rename.
    resp = client.post(
        f"/units/{world.ids['commune']}/rename",
        data={"rename-name": "Tên khác", "rename-effective_on": "2026-01-01"},
    )
    assert resp.status_code == 404
    resp = client.post(
        f"/units/{world.ids['commune']}/child",
        data={
            "child-code": "CB-TH-03",
            "child-name": "Chi đoàn xóm Pác Bó",
            "child-kind": "branch",
            "child-effective_on": "2026-11-01",
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/units/{world.ids['b1']}/rename",
        data={"rename-name": "Chi đoàn xóm Nà Mạ mới", "rename-effective_on": "2026-11-01"},
    )
    assert resp.status_code == 302
    with world.app.app_context():
        assert db.session.get(Unit, world.ids["b1"]).name == "Chi đoàn xóm Nà Mạ mới"
        new = db.session.scalar(select(Unit).where(Unit.code == "CB-TH-03"))
        assert new.id in set(db.session.scalars(subtree_ids(world.ids["commune"])))
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"unit_created", "unit_rename"} <= actions


def test_a_refused_tree_change_explains_itself(world):
    client = signed_in(world.app, "tinh")
    resp = client.post(f"/units/{world.ids['b1']}/close", data={"close-effective_on": "2026-11-01"})
    assert resp.status_code == 409
    assert "tài khoản đang hoạt động" in resp.get_data(as_text=True)
    resp = client.post(
        f"/units/{world.ids['commune']}/move",
        data={"move-parent_id": world.ids["b1"], "move-effective_on": "2026-11-01"},
    )
    assert resp.status_code == 409 and "cấp dưới của chính nó" in resp.get_data(as_text=True)


def test_a_merge_from_the_dashboard_moves_branches_and_people(world):
    client = signed_in(world.app, "tinh")
    resp = client.post(
        f"/units/{world.ids['other']}/merge",
        data={"merge-target_id": world.ids["commune"], "merge-effective_on": "2026-11-01"},
    )
    assert resp.status_code == 302
    with world.app.app_context():
        assert db.session.get(Unit, world.ids["other"]).closed_on is not None
        assert world.ids["b3"] in set(db.session.scalars(subtree_ids(world.ids["commune"])))
