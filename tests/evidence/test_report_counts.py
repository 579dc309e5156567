"""Activities without evidence in the reports (issue 14 §4): per unit below and for the
unit itself, on the page and in the units' export with its total. Evidence is a stored
photo that is not deleted: a photo still waiting for its bytes, or deleted, is none."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from server.extensions import db
from server.models import Unit
from server.units.service import move_unit
from tests import factories as f
from tests.evidence.photos import ev_mutation, jpeg, record, upload
from tests.server import htmltables, sheets
from tests.server.test_reports import caught_up
from tests.world import activity_record, signed_in

PHOTO = jpeg(300, 200, seed=41)


def _activity(phone, unit_id, *, photos=0, pending=0, deleted=0, status="submitted"):
    """An activity of ``unit_id`` with stored photos, declared ones never uploaded and
    stored ones deleted afterwards; its id."""
    aid = uuid.uuid4()
    phone.push(phone.mutation("upsert", aid, activity_record(unit_id, status=status)))
    for kind, count in (("stored", photos), ("pending", pending), ("deleted", deleted)):
        for k in range(count):
            data = jpeg(300, 200, seed=hash((str(aid), kind, k)) % 10_000)
            eid = uuid.uuid4()
            result = phone.push(ev_mutation(phone, "upsert", eid, record(aid, data)))
            assert result["results"][0]["status"] == "applied"
            if kind != "pending":
                assert upload(phone, eid, data)["complete"] is True
            if kind == "deleted":
                result = phone.push(ev_mutation(phone, "delete", eid, base_version=1))
                assert result["results"][0]["deleted"] is True, result
    return aid


@pytest.fixture
def photos(world):
    """Nà Mạ (b1): one activity with photos, one whose photo never arrived, one whose
    photo was deleted, a draft without any; Cốc Lùng (b2): one with a photo; Lũng Rì
    (b3, the other commune): one with a photo, one without."""
    with world.app.app_context():
        f.user("ri", db.session.get(Unit, world.ids["b3"]), full_name="Lục Văn Rì")
        db.session.commit()
    hoa, minh, ri = world.phone("hoa"), world.phone("minh"), world.phone("ri")
    b1, b2, b3 = world.ids["b1"], world.ids["b2"], world.ids["b3"]
    _activity(hoa, b1, photos=2)
    _activity(hoa, b1, pending=1)
    _activity(hoa, b1, deleted=1)
    _activity(hoa, b1, status="draft")  # not counted at all
    _activity(minh, b2, photos=1, deleted=1)
    _activity(ri, b3, photos=1)
    _activity(ri, b3)
    caught_up(world.app)
    return world


def _units(html: str) -> dict[str, tuple[str, str, str]]:
    """Each row of the units below: name → (activities, without evidence, its share)."""
    sections = htmltables.table(html, "children")
    head = [c.text.rstrip(" ▲▼") for c in sections[0].rows[0]]
    at = {k: head.index(k) for k in ("Hoạt động", "Chưa có ảnh", "Tỷ lệ chưa có ảnh")}
    rows = [r for s in sections if s.tag in ("tbody", "tfoot") for r in s.texts()]
    return {r[0]: tuple(r[at[k]] for k in at) for r in rows}


def test_each_unit_below_and_the_unit_itself_count_activities_without_evidence(photos):
    province = signed_in(photos.app, "tinh")
    html = province.get(f"/reports/{photos.ids['province']}?p=2026").get_data(as_text=True)
    assert _units(html) == {
        # Nà Mạ's photo that never arrived and its deleted one are no evidence.
        "Đoàn xã Trường Hà": ("4", "2", "50%"),
        "Đoàn xã Lũng Nặm": ("2", "1", "50%"),
        "Tổng cộng": ("6", "3", "50%"),
    }
    assert "3 / 6 hoạt động chưa có ảnh minh chứng (50%)" in html

    commune = signed_in(photos.app, "canbo")
    html = commune.get(f"/reports/{photos.ids['commune']}?p=2026").get_data(as_text=True)
    # The other commune's activities and photos count nowhere in this one's figures.
    assert _units(html) == {
        "Chi đoàn xóm Cốc Lùng": ("1", "0", "0%"),
        "Chi đoàn xóm Nà Mạ": ("3", "2", "67%"),
        "Tổng cộng": ("4", "2", "50%"),
    }
    assert "2 / 4 hoạt động chưa có ảnh minh chứng (50%)" in html
    commune.set_cookie("lang", "en")
    html = commune.get(f"/reports/{photos.ids['commune']}?p=2026").get_data(as_text=True)
    assert "2 / 4 activities without an evidence photo (50%)" in html
    commune.set_cookie("lang", "vi")
    # Sorted by the count, the most without evidence first.
    html = commune.get(f"/reports/{photos.ids['commune']}?p=2026&sort=unproven&dir=desc")
    assert list(_units(html.get_data(as_text=True)))[0] == "Chi đoàn xóm Nà Mạ"


def test_a_photo_that_arrives_later_counts_with_the_next_step_of_the_totals(photos):
    """Like every figure of the page (decision 55): the upload records a delta, the totals
    worker adds it in (decision 191). Deleting the photo takes it out again."""
    commune = signed_in(photos.app, "canbo")
    hoa = photos.phone("hoa")
    aid = _activity(hoa, photos.ids["b1"], pending=1)
    caught_up(photos.app)
    page = f"/reports/{photos.ids['commune']}?p=2026"
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "3")
    eid = uuid.uuid4()
    hoa.push(ev_mutation(hoa, "upsert", eid, record(aid, PHOTO)))
    upload(hoa, eid, PHOTO)
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "3")
    caught_up(photos.app)
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "2")
    hoa.push(ev_mutation(hoa, "delete", eid, base_version=2))
    caught_up(photos.app)
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "3")


def test_an_activity_moved_or_deleted_takes_its_photo_with_it(photos):
    """The activity's own changes carry whether it has a photo: moved to another day or
    type it stays proven; deleted, it leaves both counts (never a negative "without")."""
    commune = signed_in(photos.app, "canbo")
    hoa = photos.phone("hoa")
    aid = _activity(hoa, photos.ids["b1"], photos=1)
    caught_up(photos.app)
    page = f"/reports/{photos.ids['commune']}?p=2026"
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "2")
    moved = activity_record(photos.ids["b1"], status="submitted") | {
        "starts_on": "2026-02-03",
        "ends_on": "2026-02-03",
    }
    result = hoa.push(hoa.mutation("upsert", aid, moved, base_version=1))
    assert result["results"][0]["status"] in ("applied", "merged"), result
    caught_up(photos.app)
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("5", "2")
    # February holds it now, with its photo (the year's total alone would not show a
    # photo left behind on its old day).
    february = f"/reports/{photos.ids['commune']}?p=2026-02"
    assert _units(commune.get(february).get_data(as_text=True))["Tổng cộng"][:2] == ("1", "0")
    result = hoa.push(hoa.mutation("delete", aid, base_version=2))
    assert result["results"][0]["deleted"] is True, result
    caught_up(photos.app)
    assert _units(commune.get(page).get_data(as_text=True))["Tổng cộng"][:2] == ("4", "2")


def test_the_units_export_carries_the_count_and_its_total(photos):
    province = signed_in(photos.app, "tinh")
    for fmt in ("xlsx", "csv"):
        resp = province.get(f"/reports/{photos.ids['province']}/export.{fmt}?p=2026&table=units")
        assert resp.status_code == 200, fmt
        if fmt == "csv":
            text = resp.get_data(as_text=True)
            assert "Hoạt động chưa có ảnh minh chứng" in text
            continue
        sheet = sheets.read(resp.data)
        header = "Hoạt động chưa có ảnh minh chứng"
        counts = dict(zip(sheet.column("Đơn vị"), sheet.column(header), strict=True))
        assert counts == {"Đoàn xã Trường Hà": 2, "Đoàn xã Lũng Nặm": 1}
        at = sheet.headers.index(header)
        assert sheet.raw_totals[at].startswith("=SUM(") and sheet.totals[at] == 3
        # The share is a reading aid of the page, like the other rates.
        assert "Tỷ lệ chưa có ảnh minh chứng (%)" not in sheet.headers


def test_a_branchs_activity_list_marks_those_without_evidence(photos):
    commune = signed_in(photos.app, "canbo")
    html = commune.get(f"/reports/{photos.ids['b1']}?p=2026").get_data(as_text=True)
    sections = htmltables.table(html, "activities")
    head = [c.text for c in sections[0].rows[0]]
    at = head.index("Ảnh minh chứng")
    rows = [r for s in sections if s.tag == "tbody" for r in s.texts()]
    assert sorted(r[at] for r in rows) == ["0", "0", "2"]  # the draft is not listed
    assert html.count('<tr class="no-evidence">') == 2
    resp = commune.get(f"/reports/{photos.ids['b1']}/export.xlsx?p=2026&table=activities")
    sheet = sheets.read(resp.data)
    at = sheet.headers.index("Số ảnh minh chứng")
    assert sorted(sheet.column("Số ảnh minh chứng")) == [0, 0, 2]
    assert sheet.raw_totals[at].startswith("=SUM(") and sheet.totals[at] == 2


def test_a_branch_that_moved_counts_where_it_was_on_each_date(photos):
    """Cốc Lùng moves to Lũng Nặm on 1 July: its March activity (no photo) stays Trường
    Hà's, its November one (a photo) is Lũng Nặm's; Trường Hà's units below no longer
    stayed below all year, the province's did."""
    with photos.app.app_context():
        b2 = db.session.get(Unit, photos.ids["b2"])
        f.activity(b2, date(2026, 3, 10), status="submitted")
        move_unit(b2, db.session.get(Unit, photos.ids["other"]), date(2026, 7, 1))
        db.session.commit()
    caught_up(photos.app)
    commune = signed_in(photos.app, "canbo")
    html = commune.get(f"/reports/{photos.ids['commune']}?p=2026").get_data(as_text=True)
    assert _units(html) == {
        "Chi đoàn xóm Cốc Lùng": ("1", "1", "100%"),
        "Chi đoàn xóm Nà Mạ": ("3", "2", "67%"),
        "Tổng cộng": ("4", "3", "75%"),
    }
    province = signed_in(photos.app, "tinh")
    html = province.get(f"/reports/{photos.ids['province']}?p=2026").get_data(as_text=True)
    assert _units(html) == {
        "Đoàn xã Trường Hà": ("4", "3", "75%"),
        "Đoàn xã Lũng Nặm": ("3", "1", "33%"),
        "Tổng cộng": ("7", "4", "57%"),
    }
