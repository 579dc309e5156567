"""Review: staff verify or return what branches sent up; the decision reaches the phones."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Activity, AuditEvent, Unit
from tests import factories as f
from tests.world import activity_record, signed_in


def submit(phone, unit_id: int, count: int = 1, **changes) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    phone.push(
        *[
            phone.mutation(
                "upsert", i, activity_record(unit_id, **{"status": "submitted", **changes})
            )
            for i in ids
        ]
    )
    return ids


def state(app, rid) -> tuple:
    with app.app_context():
        a = db.session.get(Activity, rid)
        return a.status, a.review_comment, a.version


@pytest.fixture
def outsider(world):
    """Staff of the other commune."""
    with world.app.app_context():
        f.user("canbo-ln", db.session.get(Unit, world.ids["other"]), role="unit_staff")
        db.session.commit()


def test_returning_with_a_comment_reaches_the_branchs_phone(world):
    hoa = world.phone("hoa")
    (rid,) = submit(hoa, world.ids["b1"], title="Dọn vệ sinh <b>đường</b> xóm")
    hoa.sync_down()
    staff = signed_in(world.app, "canbo")
    queue = staff.get("/review/").get_data(as_text=True)
    assert "Dọn vệ sinh &lt;b&gt;đường&lt;/b&gt; xóm" in queue

    comment = "Bổ sung số hộ được hỗ trợ <script>alert(1)</script>"
    resp = staff.post(f"/review/{rid}/return", data={"return-comment": comment})
    assert resp.status_code == 302
    assert state(world.app, rid) == ("returned", comment, 2)
    page = staff.get(f"/review/{rid}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page

    hoa.sync_down()
    record = hoa.store[str(rid)]
    assert (record["status"], record["review_comment"]) == ("returned", comment)
    # The branch fixes it and sends it up again; the reviewer then verifies it.
    base = {**activity_record(world.ids["b1"]), "status": "submitted", "members_count": 20}
    out = hoa.push(
        hoa.mutation("upsert", rid, base, base_version=2, changed=["status", "members_count"])
    )
    assert out["results"][0]["status"] == "applied"
    assert staff.post(f"/review/{rid}/verify").status_code == 302
    assert state(world.app, rid)[0] == "verified"
    # A verified activity can no longer be changed from a phone, and the phone says why.
    late = hoa.push(hoa.mutation("upsert", rid, base, base_version=3, changed=["title"]))
    assert late["results"][0]["reason"]["code"] == "record_verified"
    with world.app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(rid))
        ).all()
    assert actions == ["activity.return", "activity.verify"]


def test_a_return_needs_a_comment_and_changes_nothing_without_one(world):
    hoa = world.phone("hoa")
    (rid,) = submit(hoa, world.ids["b1"])
    staff = signed_in(world.app, "canbo")
    resp = staff.post(
        f"/review/{rid}/return", data={"return-comment": "   "}, follow_redirects=True
    )
    assert "Cần ghi nhận xét khi trả lại" in resp.get_data(as_text=True)
    too_long = staff.post(
        f"/review/{rid}/return", data={"return-comment": "x" * 1001}, follow_redirects=True
    )
    assert "Tối đa 1000 ký tự" in too_long.get_data(as_text=True)
    assert state(world.app, rid) == ("submitted", None, 1)


def test_bulk_verify_takes_the_submitted_and_says_what_it_left(world):
    hoa = world.phone("hoa")
    ids = submit(hoa, world.ids["b1"], 3)
    (draft,) = submit(hoa, world.ids["b1"], 1, status="draft")
    staff = signed_in(world.app, "canbo")
    resp = staff.post(
        "/review/verify", data={"ids": [str(i) for i in ids + [draft]]}, follow_redirects=True
    )
    page = resp.get_data(as_text=True)
    assert "Đã xác nhận 3 hoạt động" in page and "1 hoạt động không còn" in page
    assert [state(world.app, i)[0] for i in ids] == ["verified"] * 3
    assert state(world.app, draft) == ("draft", None, 1)
    # The queue no longer lists them.
    assert "0 hoạt động" in staff.get("/review/").get_data(as_text=True)


def test_reviewing_outside_ones_subtree_is_not_found_and_changes_nothing(world, outsider):
    hoa = world.phone("hoa")
    (rid,) = submit(hoa, world.ids["b1"], title="Việc của xóm Nà Mạ")
    other = signed_in(world.app, "canbo-ln")
    assert "Việc của xóm Nà Mạ" not in other.get("/review/").get_data(as_text=True)
    assert other.get(f"/review/{rid}").status_code == 404
    assert other.post(f"/review/{rid}/verify").status_code == 404
    assert other.post(f"/review/{rid}/return", data={"return-comment": "x"}).status_code == 404
    assert other.post("/review/verify", data={"ids": [str(rid)]}).status_code == 404
    # A forged id mixed with one in scope refuses the whole request.
    (theirs,) = submit(world.phone("minh"), world.ids["b2"])
    staff = signed_in(world.app, "canbo")
    mixed = staff.post("/review/verify", data={"ids": [str(theirs), str(uuid.uuid4())]})
    assert mixed.status_code == 404
    assert state(world.app, rid) == ("submitted", None, 1)
    assert state(world.app, theirs) == ("submitted", None, 1)
    # A branch member does not review at all, not even their own branch.
    member = signed_in(world.app, "hoa")
    assert member.get("/review/").status_code == 404
    assert member.post(f"/review/{rid}/verify").status_code == 404


def test_a_phone_status_change_made_before_it_saw_the_return_is_kept_as_a_conflict(world):
    hoa = world.phone("hoa")
    (rid,) = submit(hoa, world.ids["b1"])
    staff = signed_in(world.app, "canbo")
    staff.post(f"/review/{rid}/return", data={"return-comment": "Thiếu ảnh minh chứng"})
    # Offline, the phone took it back to draft from version 1.
    base = activity_record(world.ids["b1"], status="draft")
    out = hoa.push(hoa.mutation("upsert", rid, base, base_version=1, changed=["status"]))
    result = out["results"][0]
    assert result["status"] == "conflict"
    assert result["conflicts"][0]["field"] == "status"
    assert state(world.app, rid)[0] == "returned"


def test_decisions_need_the_csrf_token(world, make_app, database_uri):
    hoa = world.phone("hoa")
    (rid,) = submit(hoa, world.ids["b1"])
    strict = make_app(SQLALCHEMY_DATABASE_URI=database_uri, WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "canbo", "password": f.PASSWORD, "csrf_token": token})
    assert client.post(f"/review/{rid}/verify").status_code == 400
    assert state(world.app, rid)[0] == "submitted"


def test_refused_entries_are_shown_to_the_staff_above_the_sender_and_no_one_else(world, outsider):
    hoa = world.phone("hoa")
    rid = uuid.uuid4()
    out = hoa.push(
        hoa.mutation(
            "upsert",
            rid,
            activity_record(
                world.ids["b1"], title="<b>Dọn đường</b>", members_count=-3, status="submitted"
            ),
        )
    )
    assert out["results"][0]["status"] == "rejected"
    page = signed_in(world.app, "canbo").get("/review/refused").get_data(as_text=True)
    assert "&lt;b&gt;Dọn đường&lt;/b&gt;" in page and "<b>Dọn đường" not in page
    assert "Nông Thị Hoa" in page and "Chi đoàn xóm Nà Mạ" in page
    assert "Dữ liệu chưa hợp lệ" in page and "members_count: Không được nhỏ hơn 0" in page
    assert "Chưa gửi lại" in page
    assert "Dọn đường" in signed_in(world.app, "tinh").get("/review/refused").get_data(as_text=True)
    other = signed_in(world.app, "canbo-ln").get("/review/refused").get_data(as_text=True)
    assert "Dọn đường" not in other and 'id="refused-none"' in other
    assert signed_in(world.app, "lan").get("/review/refused").status_code == 404  # a member

    # Fixed on the phone and sent again: the page says so.
    hoa.push(hoa.mutation("upsert", rid, activity_record(world.ids["b1"], status="submitted")))
    page = signed_in(world.app, "canbo").get("/review/refused").get_data(as_text=True)
    assert "Đã sửa và gửi lại" in page and "Chưa gửi lại" not in page


def test_an_export_cut_at_its_limit_says_so_in_its_totals(world, monkeypatch):
    from server.review import views

    submit(world.phone("hoa"), world.ids["b1"], count=3)
    staff = signed_in(world.app, "canbo")
    whole = staff.get("/review/export.csv").data.decode()
    assert whole.rstrip().splitlines()[-1].startswith("3 hoạt động,")
    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)  # rather than load 10,001 activities
    cut = staff.get("/review/export.csv").data.decode()
    assert cut.count("\r\n") == 1 + 2 + 1
    assert cut.rstrip().splitlines()[-1].startswith("2 hoạt động đầu tiên — còn nữa")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("vi", "Nhận xét dài quá 1000 ký tự (1001)."),
        ("en", "The comment is longer than 1000 characters (1001)."),
    ],
)
def test_a_refused_comment_is_said_in_the_pages_language(app, language, said):
    """The service's refusal is a catalogue entry filled in after translation (it was
    formatted first, so no catalogue had it and English pages showed Vietnamese)."""
    from flask_babel import gettext

    from server.review.service import ReviewError, clean_comment

    with app.test_request_context(f"/?lang={language}"):
        with pytest.raises(ReviewError) as caught:
            clean_comment("x" * 1001)
        assert gettext(caught.value.message, **caught.value.params) == said
