"""Enrolment codes, lost phones, deactivation, throttling, the audit log, idle sessions."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from server.extensions import db
from server.models import AuditEvent, EnrolmentCode, User
from server.models.types import utcnow
from tests import factories as f
from tests.server.signin import client_from
from tests.world import HEADERS, Phone, activity_record


def api(phone: Phone, method: str, path: str, body: dict | None = None):
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    return phone.client.open(f"/api/v1{path}", method=method, headers=headers, json=body)


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def sign_in_with_code(app, code: str, device_id=None):
    return app.test_client().post(
        "/api/v1/devices",
        headers=HEADERS,
        json={
            "enrolment_code": code,
            "device_id": str(device_id or uuid.uuid4()),
            "device_name": "Máy mới",
        },
    )


def test_an_enrolment_code_signs_a_phone_in_once(world):
    staff = world.phone("canbo")
    resp = api(staff, "POST", f"/users/{user_id(world.app, 'minh')}/enrolment-codes")
    assert resp.status_code == 201
    code = resp.get_json()["code"]
    assert len(code) == 14 and code.count("-") == 2
    first = sign_in_with_code(world.app, code.lower())  # typed in lower case: still fine
    assert first.status_code == 201 and first.get_json()["user"]["username"] == "minh"
    phone = Phone(
        world.app.test_client(), uuid.UUID(first.get_json()["device_id"]), first.get_json()["token"]
    )
    assert phone.pull(cursor=None)["changes"] == []
    again = sign_in_with_code(world.app, code)
    assert again.status_code == 401 and again.get_json()["code"] == "enrolment_code_invalid"
    assert {"enrolment_code_created", "device_enrolled", "sign_in_failed"} <= set(
        actions(world.app)
    )


def test_an_expired_enrolment_code_is_refused(world):
    staff = world.phone("canbo")
    code = api(staff, "POST", f"/users/{user_id(world.app, 'minh')}/enrolment-codes").get_json()[
        "code"
    ]
    with world.app.app_context():
        db.session.execute(update(EnrolmentCode).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    resp = sign_in_with_code(world.app, code)
    assert resp.status_code == 401 and resp.get_json()["code"] == "enrolment_code_invalid"


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("hoa", "lan"),  # a member manages no one
        ("canbo", "tinh"),  # staff do not manage those above them
        ("canbo", "canbo"),  # nor themselves
    ],
)
def test_people_out_of_reach_answer_404(world, actor, target):
    phone = world.phone(actor)
    for method, path in (("POST", "enrolment-codes"), ("GET", "devices"), ("POST", "deactivate")):
        resp = api(phone, method, f"/users/{user_id(world.app, target)}/{path}")
        assert resp.status_code == 404, (method, path)
    assert api(phone, "GET", "/users/99999/devices").status_code == 404


def test_staff_of_another_commune_cannot_touch_these_members(world):
    with world.app.app_context():
        from server.models import Unit

        other = db.session.get(Unit, world.ids["other"])
        f.user("canbo-ln", other, role="unit_staff")
        db.session.commit()
    outsider = world.phone("canbo-ln")
    resp = api(outsider, "POST", f"/users/{user_id(world.app, 'hoa')}/deactivate")
    assert resp.status_code == 404
    with world.app.app_context():
        assert db.session.scalar(select(User.is_active).where(User.username == "hoa"))


def test_a_lost_phone_is_revoked_and_its_entries_survive_a_new_sign_in(world):
    lost, spare = world.phone("hoa"), world.phone("hoa")
    listed = api(spare, "GET", "/devices").get_json()["devices"]
    assert {d["id"] for d in listed} == {str(lost.device_id), str(spare.device_id)}
    assert [d["current"] for d in listed if d["id"] == str(spare.device_id)] == [True]
    resp = api(spare, "POST", f"/devices/{lost.device_id}/revoke")
    assert resp.status_code == 200 and resp.get_json()["revoked_at"]
    waiting = lost.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    body = {"device_id": str(lost.device_id), "mutations": [waiting]}
    resp = lost.post("/api/v1/sync/push", body)
    assert resp.status_code == 401 and resp.get_json()["code"] == "device_revoked"
    # Found again: a new sign-in on the same device pushes what was waiting.
    found = world.phone("hoa", device_id=lost.device_id)
    assert found.push(waiting)["results"][0]["status"] == "applied"
    assert "device_revoked" in actions(world.app)


def test_another_members_device_cannot_be_revoked_but_staff_can(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    assert api(lan, "POST", f"/devices/{hoa.device_id}/revoke").status_code == 404
    staff = world.phone("canbo")
    assert api(staff, "POST", f"/devices/{hoa.device_id}/revoke").status_code == 200
    assert hoa.pull(expect=401)["code"] == "device_revoked"


def test_deactivating_a_user_revokes_all_their_devices(world):
    phones = [world.phone("lan"), world.phone("lan")]
    staff = world.phone("canbo")
    resp = api(staff, "POST", f"/users/{user_id(world.app, 'lan')}/deactivate")
    assert resp.get_json() == {
        "user_id": user_id(world.app, "lan"),
        "active": False,
        "devices_revoked": 2,
    }
    for phone in phones:
        assert phone.pull(expect=401)["code"] == "device_revoked"
    again = world.app.test_client().post(
        "/api/v1/devices",
        headers=HEADERS,
        json={"username": "lan", "password": f.PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert again.status_code == 401


def test_the_phone_reports_its_waiting_entries_for_staff_to_see(world):
    hoa = world.phone("hoa")
    oldest = (utcnow() - timedelta(days=21)).isoformat()
    hoa.post(
        "/api/v1/sync/pull",
        {"device_id": str(hoa.device_id), "cursor": None, "outbox": {"count": 7, "oldest": oldest}},
    )
    staff = world.phone("canbo")
    devices = api(staff, "GET", f"/users/{user_id(world.app, 'hoa')}/devices").get_json()
    (device,) = devices["devices"]
    assert device["pending_count"] == 7 and device["pending_since"].startswith(oldest[:10])


def test_failed_sign_ins_slow_down_that_account_from_that_address_only(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 3
    here = client_from(world.app, "203.0.113.9")
    there = client_from(world.app, "198.51.100.7")

    def attempt(client, password, username="hoa"):
        return client.post(
            "/api/v1/devices",
            headers=HEADERS,
            json={"username": username, "password": password, "device_id": str(uuid.uuid4())},
        )

    assert attempt(here, f.PASSWORD).status_code == 201  # successes are never counted
    assert [attempt(here, "sai").status_code for _ in range(3)] == [401, 401, 401]
    held = attempt(here, f.PASSWORD)  # even the right password waits
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    assert held.get_json()["message"].startswith("Đăng nhập sai quá nhiều lần")
    assert attempt(there, f.PASSWORD).status_code == 201  # the account itself is not locked
    assert attempt(here, f.PASSWORD, "lan").status_code == 201  # nor other accounts here
    time.sleep(1.1)
    assert attempt(here, f.PASSWORD).status_code == 201
    # A success forgets that account's failures from that address.
    assert attempt(here, "sai").status_code == 401
    assert attempt(here, f.PASSWORD).status_code == 201


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(world):
    world.app.config["SIGNIN_ADDRESS_FAILURES"] = 4
    client = world.app.test_client()
    codes = [
        client.post("/login", data={"username": f"khong-co-{i}", "password": "x"}).status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 401, 429]
    elsewhere = client_from(world.app, "198.51.100.7")
    resp = elsewhere.post("/login", data={"username": "khong-co-9", "password": "x"})
    assert resp.status_code == 401


def test_the_audit_log_is_append_only_in_the_database(world):
    world.phone("hoa")
    with world.app.app_context():
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(AuditEvent.action)) == "device_signed_in"


def test_an_idle_dashboard_session_ends(world):
    world.app.config["SESSION_IDLE_MINUTES"] = 1
    client = world.app.test_client()
    resp = client.post("/login", data={"username": "canbo", "password": f.PASSWORD})
    assert resp.status_code == 302 and client.get("/").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - 61
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "sign_in" in actions(world.app)
