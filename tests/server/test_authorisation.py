"""Who may do what: every route by every role, inside and outside their scope.

Denials are 401 (no credentials), or 404 — the same as for something that does not
exist — so nothing leaks about what is outside a user's reach.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Unit, User
from tests import factories as f
from tests.world import HEADERS, activity_record

PUBLIC = {
    ("POST", "/api/v1/devices"),
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/<path:filename>"),
    ("GET", "/favicon.ico"),  # the field app's icon, asked for before any sign-in
    ("POST", "/logout"),
    # The field app's shell: static files, the same for everyone; its data comes from the
    # API with a device token.
    ("GET", "/app/"),
    ("GET", "/app/sw.js"),
    ("GET", "/app/rules.json"),
    ("GET", "/app/<path:name>"),
    # The API described (OpenAPI), public like docs/PROTOCOL.md (decision 114).
    ("GET", "/api/openapi.json"),
}
#: Pages for machines, behind a bearer token of their own (tests/server/test_observability).
TOKEN_ONLY = {("GET", "/metrics")}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def _fill(rule: str) -> str:
    """A concrete URL for a rule: any id will do, the answer must not depend on it."""
    rule = re.sub(r"<int:[^>]+>", "1", rule)
    rule = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), rule)
    return re.sub(r"<[^>]+>", "x", rule)


def test_every_api_route_needs_a_device_token(app):
    client = app.test_client()
    checked = 0
    for method, rule in _routes(app):
        if not rule.startswith("/api/") or (method, rule) in PUBLIC:
            continue
        resp = client.open(_fill(rule), method=method, headers=HEADERS, json={})
        assert resp.status_code == 401, (method, rule)
        assert resp.get_json()["code"] == "invalid_token"
        checked += 1
    assert checked >= 9


def test_every_dashboard_page_needs_a_session(app):
    client = app.test_client()
    checked = 0
    for method, rule in _routes(app):
        if rule.startswith("/api/") or (method, rule) in PUBLIC | TOKEN_ONLY:
            continue
        resp = client.open(_fill(rule), method=method)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], rule
        checked += 1
    assert checked >= 12


@pytest.fixture
def people(world):
    with world.app.app_context():
        b1 = db.session.get(Unit, world.ids["b1"])
        province = db.session.get(Unit, world.ids["province"])
        other = db.session.get(Unit, world.ids["other"])
        f.user("bithu", b1, role="branch_secretary")
        f.user("quantri", province, role="admin")
        f.user("canbo-ln", other, role="unit_staff")
        db.session.commit()
        ids = dict(db.session.execute(select(User.username, User.id)).all())
    return ids


# (actor, target, may manage?)
MANAGE = [
    ("hoa", "lan", False),
    ("bithu", "hoa", True),
    ("bithu", "minh", False),  # another branch
    ("bithu", "canbo", False),  # above them
    ("canbo", "hoa", True),
    ("canbo", "minh", True),
    ("canbo", "bithu", True),
    ("canbo", "tinh", False),
    ("canbo-ln", "hoa", False),  # another commune
    ("tinh", "canbo", True),
    ("tinh", "quantri", False),
    ("quantri", "tinh", True),
    ("quantri", "quantri", False),
]


@pytest.mark.parametrize(("actor", "target", "allowed"), MANAGE)
def test_managing_people_follows_the_tree_and_the_ranks(world, people, actor, target, allowed):
    phone = world.phone(actor)
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    uid = people[target]
    listed = phone.client.get(f"/api/v1/users/{uid}/devices", headers=headers)
    code = phone.client.post(f"/api/v1/users/{uid}/enrolment-codes", headers=headers)
    assert (listed.status_code, code.status_code) == ((200, 201) if allowed else (404, 404))


# (actor, unit key, may write?)
WRITE = [
    ("hoa", "b1", True),
    ("bithu", "b1", True),
    ("hoa", "b2", False),
    ("minh", "b1", False),
    ("canbo", "b1", False),  # staff review, they do not record for a branch
    ("tinh", "b3", False),
    ("quantri", "b1", False),
]


@pytest.mark.parametrize(("actor", "unit", "allowed"), WRITE)
def test_writing_activities_is_for_the_branch_itself(world, people, actor, unit, allowed):
    phone = world.phone(actor)
    out = phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids[unit])))
    result = out["results"][0]
    if allowed:
        assert result["status"] == "applied"
    else:
        assert result["status"] == "rejected" and result["reason"]["code"] == "forbidden"


# (actor, which branches' activities they see)
READ = [
    ("hoa", {"b1"}),
    ("minh", {"b2"}),
    ("canbo", {"b1", "b2"}),
    ("canbo-ln", {"b3"}),
    ("tinh", {"b1", "b2", "b3"}),
]


@pytest.mark.parametrize(("actor", "visible"), READ)
def test_reading_follows_the_subtree(world, people, actor, visible):
    writers = {"b1": "hoa", "b2": "minh"}
    made = {}
    for unit, who in writers.items():
        phone = world.phone(who)
        rid = uuid.uuid4()
        phone.push(phone.mutation("upsert", rid, activity_record(world.ids[unit])))
        made[unit] = str(rid)
    with world.app.app_context():  # b3 has no member in the world: write it directly
        b3 = db.session.get(Unit, world.ids["b3"])
        made["b3"] = str(f.activity(b3, date(2026, 11, 1)).id)
        db.session.commit()
    reader = world.phone(actor)
    reader.sync_down()
    assert set(reader.store) == {made[u] for u in visible}
