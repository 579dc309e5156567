"""Dashboard sessions end on the server: a cookie copied before sign-out, a new password or
deactivation signs nobody in afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, User
from tests import factories as f
from tests.world import signed_in

NEW_PASSWORD = "mat-khau-moi-2026"


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    return thief


def test_a_cookie_copied_before_sign_out_is_worth_nothing_after(world):
    client = signed_in(world.app, "canbo")
    thief = copy_of(world.app, client)
    assert client.post("/logout").status_code == 302
    resp = thief.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert thief.get("/people/").status_code == 302
    # Signing in again makes a new session that works.
    assert signed_in(world.app, "canbo").get("/").status_code == 200


def test_signing_out_ends_the_persons_other_sessions_too(world):
    office, laptop = signed_in(world.app, "canbo"), signed_in(world.app, "canbo")
    other_person = signed_in(world.app, "tinh")
    office.post("/logout")
    assert laptop.get("/").status_code == 302
    assert other_person.get("/").status_code == 200


def test_a_new_password_ends_every_other_session_and_keeps_this_one(world):
    client = signed_in(world.app, "canbo")
    thief = copy_of(world.app, client)
    elsewhere = signed_in(world.app, "canbo")
    resp = client.post(
        "/password",
        data={"current": f.PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    assert thief.get("/").status_code == 302 and elsewhere.get("/").status_code == 302
    fresh = world.app.test_client()
    assert (
        fresh.post("/login", data={"username": "canbo", "password": f.PASSWORD}).status_code == 401
    )
    resp = fresh.post("/login", data={"username": "canbo", "password": NEW_PASSWORD})
    assert resp.status_code == 302
    with world.app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_changed"))
        canbo = db.session.scalar(select(User).where(User.username == "canbo"))
        assert event.actor_id == canbo.id and event.target_id == str(canbo.id)


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"current": "sai-mat-khau", "new": NEW_PASSWORD, "again": NEW_PASSWORD}, 400),
        ({"current": f.PASSWORD, "new": "ngan", "again": "ngan"}, 400),
        ({"current": f.PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD + "x"}, 400),
    ],
)
def test_a_password_change_that_fails_changes_nothing(world, form, status):
    client = signed_in(world.app, "canbo")
    thief = copy_of(world.app, client)
    assert client.post("/password", data=form).status_code == status
    assert thief.get("/").status_code == 200
    fresh = world.app.test_client()
    assert (
        fresh.post("/login", data={"username": "canbo", "password": f.PASSWORD}).status_code == 302
    )


def test_a_wrong_current_password_counts_as_a_failed_sign_in(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 2
    client = signed_in(world.app, "canbo")
    wrong = {"current": "sai-mat-khau", "new": NEW_PASSWORD, "again": NEW_PASSWORD}
    assert [client.post("/password", data=wrong).status_code for _ in range(3)] == [400, 400, 429]


def test_deactivation_ends_the_persons_sessions(world):
    member = signed_in(world.app, "hoa")
    thief = copy_of(world.app, member)
    staff = signed_in(world.app, "canbo")
    with world.app.app_context():
        hoa = db.session.scalar(select(User.id).where(User.username == "hoa"))
    page = staff.get(f"/people/{hoa}").get_data(as_text=True)
    assert "deactivate" in page
    assert staff.post(f"/people/{hoa}/deactivate").status_code == 302
    assert member.get("/").status_code == 302 and thief.get("/").status_code == 302
    with world.app.app_context():
        epoch = db.session.scalar(select(User.session_epoch).where(User.id == hoa))
    assert epoch == 1
