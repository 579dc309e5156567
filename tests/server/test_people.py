"""The dashboard's people pages: scope, creating, changing, enrolling, revoking."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Device, User
from tests.world import signed_in


def uid(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_members_do_not_get_the_people_pages(world):
    client = signed_in(world.app, "hoa")
    assert client.get("/people/").status_code == 404
    assert client.get(f"/people/{uid(world.app, 'lan')}").status_code == 404


def test_staff_see_the_people_of_their_subtree_only(world):
    page = signed_in(world.app, "canbo").get("/people/").get_data(as_text=True)
    assert "Nông Thị Hoa" in page and "Đàm Văn Minh" in page
    assert "Bế Thị Tỉnh" not in page  # above them
    found = signed_in(world.app, "canbo").get("/people/?q=dam van").get_data(as_text=True)
    assert "Đàm Văn Minh" in found and "Nông Thị Hoa" not in found


def test_staff_create_a_member_in_scope_and_enrol_their_phone(world):
    client = signed_in(world.app, "canbo")
    resp = client.post(
        "/people/new",
        data={
            "username": "0912888999",
            "full_name": "Triệu Thị Mai",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
            "password": "",
        },
    )
    assert resp.status_code == 302
    new_id = uid(world.app, "0912888999")
    page = client.post(f"/people/{new_id}/enrolment-code").get_data(as_text=True)
    code = re.search(r'id="enrolment-code">([A-Z0-9-]{14})<', page).group(1)
    assert 'src="data:image/svg+xml' in page
    resp = world.app.test_client().post(
        "/api/v1/devices",
        headers={"Sodoan-Protocol": "1"},
        json={"enrolment_code": code, "device_id": "8d7f6a2e-9a51-4f7e-8f0e-1b2c3d4e5f60"},
    )
    assert resp.status_code == 201 and resp.get_json()["user"]["full_name"] == "Triệu Thị Mai"
    with world.app.app_context():
        events = set(db.session.scalars(select(AuditEvent.action)))
    assert {"user_created", "enrolment_code_created", "device_enrolled"} <= events


@pytest.mark.parametrize(("role", "unit"), [("unit_staff", "b1"), ("branch_member", "b3")])
def test_staff_cannot_create_above_themselves_or_outside_their_subtree(world, role, unit):
    client = signed_in(world.app, "canbo")
    resp = client.post(
        "/people/new",
        data={
            "username": "0912777666",
            "full_name": "Người mới",
            "role": role,
            "unit_id": world.ids[unit],
        },
    )
    assert resp.status_code == 200  # the form again: the choice is not offered
    assert uid(world.app, "0912777666") is None


def test_role_and_unit_changes_are_audited(world):
    client = signed_in(world.app, "canbo")
    hoa = uid(world.app, "hoa")
    resp = client.post(
        f"/people/{hoa}", data={"role": "branch_secretary", "unit_id": world.ids["b2"]}
    )
    assert resp.status_code == 302
    with world.app.app_context():
        person = db.session.get(User, hoa)
        assert (person.role, person.unit_id) == ("branch_secretary", world.ids["b2"])
        events = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert events[-2:] == ["role_changed", "unit_changed"]


def test_staff_revoke_a_phone_and_deactivate_from_the_dashboard(world):
    phone = world.phone("lan")
    client = signed_in(world.app, "canbo")
    lan = uid(world.app, "lan")
    assert "Điện thoại của lan" in client.get(f"/people/{lan}").get_data(as_text=True)
    resp = client.post(f"/people/{lan}/devices/{phone.device_id}/revoke")
    assert resp.status_code == 302
    assert phone.pull(expect=401)["code"] == "device_revoked"
    other = world.phone("hoa")
    resp = client.post(f"/people/{uid(world.app, 'hoa')}/deactivate")
    assert resp.status_code == 302
    assert other.pull(expect=401)["code"] == "device_revoked"
    with world.app.app_context():
        assert (
            db.session.scalar(select(Device.revoked_at).where(Device.id == other.device_id))
            is not None
        )


def test_the_pages_and_the_command_line_create_people_one_way(world, runner):
    """One service for both: the same rules (a taken name, a short password) and the
    same audit record, also for an account made on the command line."""
    args = ["create-user", "--username", "0912555444", "--full-name", " Lò Văn Páo "]
    made = runner.invoke(
        args=[*args, "--role", "unit_staff", "--unit", "CB-TH", "--password", "mat-khau-dai"]
    )
    assert made.exit_code == 0, made.output
    short = runner.invoke(
        args=["create-user", "--username", "0912555333", "--full-name", "Ngắn", "--unit", "CB-TH"]
        + ["--password", "ngan"]
    )
    assert short.exit_code != 0 and "Mật khẩu cần ít nhất 8 ký tự" in short.output
    page = signed_in(world.app, "canbo").post(
        "/people/new",
        data={
            "username": "0912555444",
            "full_name": "Người khác",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
        },
    )
    assert page.status_code == 200 and "Tên đăng nhập đã tồn tại" in page.get_data(as_text=True)
    with world.app.app_context():
        person = db.session.scalars(select(User).where(User.username == "0912555444")).one()
        assert person.full_name == "Lò Văn Páo"
        created = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user_created")
        ).all()
        assert [(e.actor_id, e.target_id) for e in created] == [(None, str(person.id))]
