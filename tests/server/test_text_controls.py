"""Direction controls and zero-width characters in names: removed where a name is made,
and never able to reorder what surrounds a name on a page (issue 12 §3).

``"X \\u202egnp.exe"`` showed as "X exe.png"; two names differing by a zero-width space
looked the same.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from schemas.fields import String
from schemas.text import INVISIBLE, clean, fold
from server.extensions import db
from server.models import Activity, Unit, User
from tests.world import activity_record, signed_in

HOSTILE = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    # Characters that show as nothing (a review found them kept): two names alike that differ.
    "\u00ad",  # SOFT HYPHEN
    "\u034f",  # COMBINING GRAPHEME JOINER
    "\u180e",
    "\u2061",
    "\u2064",
    "\u206a",
    "\u206f",
    "\ufff9",
    "\ufffb",
    "\U000e0001",  # LANGUAGE TAG
    "\U000e007f",
    "\u115f",  # HANGUL CHOSEONG FILLER
    "\u1160",
    "\u3164",
    "\uffa0",
]


@pytest.mark.parametrize("char", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_clean_removes_each_control(char):
    assert clean(f"X {char}gnp.exe") == "X gnp.exe"
    assert fold(f"Nà{char} Mạ") == "na ma"
    assert String(max_length=50).deserialize(f" Chi đoàn{char} ") == "Chi đoàn"


def test_clean_keeps_vietnamese_and_line_breaks():
    text_ = "Đoàn xã Trường Hà\nngày 21/11\tđủ"
    assert clean(text_) == text_
    assert INVISIBLE.search("Hoàng Thị Lan – “Pác Bó”") is None


def test_a_title_pushed_with_an_override_is_stored_without_it(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    record = activity_record(
        world.ids["b1"], title="X \u202egnp.exe", place="Nà\u200bMạ", description="a\u2066b"
    )
    assert phone.push(phone.mutation("upsert", rid, record))["results"][0]["status"] == "applied"
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert (a.title, a.place, a.description) == ("X gnp.exe", "NàMạ", "ab")
    # A title of nothing but controls is blank, refused like an empty one.
    out = phone.push(phone.mutation("upsert", uuid.uuid4(), {**record, "title": "\u202e\u200b"}))
    assert out["results"][0]["errors"]["title"][0]["code"] == "blank"


def test_person_and_unit_names_made_on_the_dashboard_are_clean(world):
    client = signed_in(world.app, "canbo")
    resp = client.post(
        "/people/new",
        data={
            "username": "0912777000",
            "full_name": "Triệu\u200d Thị \u202eMai",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/units/{world.ids['b1']}/rename",
        data={"rename-name": "Chi đoàn \u202exóm\u2069 Nà Mạ", "rename-effective_on": "2026-11-01"},
    )
    assert resp.status_code == 302
    with world.app.app_context():
        person = db.session.scalar(select(User).where(User.username == "0912777000"))
        assert person.full_name == "Triệu Thị Mai"
        assert db.session.get(Unit, world.ids["b1"]).name == "Chi đoàn xóm Nà Mạ"
    # Nothing visible left: refused with a reason, nothing made.
    resp = client.post(
        "/people/new",
        data={
            "username": "0912777001",
            "full_name": "\u200b\u202e",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
        },
    )
    assert resp.status_code == 200 and "Vui lòng nhập họ tên" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "username",
    [
        "ad min",
        "nguyễn",
        "x",
        "ab",
        "-abc",
        ".abc",
        "a" * 33,
        "tên@x",
        "аdmin",  # Cyrillic а
        "<b>x</b>",
    ],
)
def test_usernames_outside_the_rule_are_refused_in_vietnamese(world, username):
    client = signed_in(world.app, "canbo")
    resp = client.post(
        "/people/new",
        data={
            "username": username,
            "full_name": "Triệu Thị Mai",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
        },
    )
    assert resp.status_code == 200
    assert "Tên đăng nhập gồm 3–32 ký tự" in resp.get_data(as_text=True)
    with world.app.app_context():
        assert db.session.scalar(select(User.id).where(User.full_name == "Triệu Thị Mai")) is None


@pytest.mark.parametrize("username", ["0912345678", "hoa.nguyen", "can_bo-2", "ABC", "x" * 32])
def test_phone_numbers_and_simple_names_are_usernames(world, username):
    client = signed_in(world.app, "canbo")
    resp = client.post(
        "/people/new",
        data={
            "username": username,
            "full_name": "Triệu Thị Mai",
            "role": "branch_member",
            "unit_id": world.ids["b2"],
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]


def test_a_username_is_made_without_its_invisible_characters(world):
    client = signed_in(world.app, "canbo")
    data = {"full_name": "Triệu Thị Mai", "role": "branch_member", "unit_id": world.ids["b2"]}
    resp = client.post("/people/new", data={**data, "username": "ma\u200bi\u202e.tt"})
    assert resp.status_code == 302
    with world.app.app_context():
        assert db.session.scalar(select(User.username).where(User.full_name == "Triệu Thị Mai"))
        assert db.session.scalar(select(User.id).where(User.username == "mai.tt"))


def test_the_seed_and_demo_usernames_fit_the_rule():
    import tomllib
    from pathlib import Path

    from server.models.people import username_allowed

    data = Path(__file__).parents[2] / "server" / "seed" / "data" / "users.toml"
    users = tomllib.loads(data.read_text(encoding="utf-8"))
    names = [u["username"] for group in users.values() for u in group]
    assert names and all(username_allowed(n) for n in names), names


def test_text_stored_before_the_rule_is_shown_without_its_controls(world):
    """Rows written before names were cleaned keep their controls in the database; the
    pages never send them (the migration of old rows is not needed for that)."""
    with world.app.app_context():
        db.session.execute(
            text("UPDATE units SET name = :name WHERE id = :id"),
            {"name": "X \u202egnp.exe", "id": world.ids["commune"]},
        )
        db.session.commit()
        assert db.session.get(Unit, world.ids["commune"]).name == "X \u202egnp.exe"
    page = signed_in(world.app, "canbo").get("/").get_data(as_text=True)
    assert "X gnp.exe" in page and "\u202e" not in page


def test_invisible_variants_of_a_username_share_its_sign_in_limit(world):
    """The column stores names clean, so "ad\\u200bmin" finds the account "admin": its
    failures must count against the same limit, not one of their own each."""
    from tests.server.signin import client_from, sign_in_device

    variants = ["tinh", "ti\u200bnh", "t\u200dinh", "\ufefftinh", "tin\u2060h", "TINH\u200c"]
    phone = client_from(world.app, "203.0.113.7")
    answers = [sign_in_device(phone, name, "sai-mat-khau").status_code for name in variants]
    assert answers == [401] * 5 + [429], answers
    page = client_from(world.app, "203.0.113.8")
    answers = [
        page.post("/login", data={"username": name, "password": "sai"}).status_code
        for name in variants
    ]
    assert answers == [401] * 5 + [429], answers
