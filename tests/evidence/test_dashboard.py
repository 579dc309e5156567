"""Evidence photos on the dashboard: thumbnails on the activity's review and report
pages, served by session to staff whose subtree holds the photo, and a unit's photos for
a period as a streamed ZIP."""

from __future__ import annotations

import io
import uuid
import zipfile

from server.extensions import db
from server.models import Unit
from tests import factories as f
from tests.evidence.photos import ev_mutation, jpeg, record, upload
from tests.world import activity_record, signed_in

PHOTOS = [jpeg(400, 300, seed=s) for s in (21, 22)]


def _activity_with_photos(world, phone, *, starts_on="2026-11-21", photos=PHOTOS):
    aid = uuid.uuid4()
    rec = activity_record(
        world.ids["b1"], status="submitted", starts_on=starts_on, ends_on=starts_on
    )
    ids = [uuid.uuid4() for _ in photos]
    phone.push(
        phone.mutation("upsert", aid, rec),
        *[
            ev_mutation(phone, "upsert", eid, record(aid, data, caption=f"Ảnh {k} <b>"))
            for k, (eid, data) in enumerate(zip(ids, photos, strict=True))
        ],
    )
    for eid, data in zip(ids, photos, strict=True):
        upload(phone, eid, data)
    return aid, ids


def test_staff_see_thumbnails_on_the_review_and_report_pages(world):
    hoa = world.phone("hoa")
    aid, ids = _activity_with_photos(world, hoa)
    staff = signed_in(world.app, "canbo")
    for page in (f"/review/{aid}", f"/reports/activity/{aid}"):
        html = staff.get(page).get_data(as_text=True)
        assert "Hình ảnh minh chứng" in html, page
        for eid in ids:
            assert f'src="/evidence/{eid}/thumb"' in html
        assert "Ảnh 0 &lt;b&gt;" in html and "<b>" not in html.split("Hình ảnh minh chứng")[1]
    thumb = staff.get(f"/evidence/{ids[0]}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert staff.get(f"/evidence/{ids[0]}/file").status_code == 200


def test_staff_of_another_commune_and_visitors_get_nothing(world):
    hoa = world.phone("hoa")
    _aid, ids = _activity_with_photos(world, hoa, photos=PHOTOS[:1])
    with world.app.app_context():
        f.user("canbo-ln", db.session.get(Unit, world.ids["other"]), role="unit_staff")
        db.session.commit()
    outsider = signed_in(world.app, "canbo-ln")
    for kind in ("thumb", "file"):
        assert outsider.get(f"/evidence/{ids[0]}/{kind}").status_code == 404
    assert outsider.get(f"/evidence/units/{world.ids['b1']}/evidence.zip").status_code == 404
    visitor = world.app.test_client()
    assert visitor.get(f"/evidence/{ids[0]}/thumb").status_code == 302  # to sign in


def test_a_units_photos_for_a_period_come_as_a_streamed_zip(world):
    hoa = world.phone("hoa")
    _aid, ids = _activity_with_photos(world, hoa)
    _activity_with_photos(world, hoa, starts_on="2026-10-05", photos=[jpeg(200, 100, seed=30)])
    staff = signed_in(world.app, "tinh")  # the province: the branch is in its subtree
    resp = staff.get(f"/evidence/units/{world.ids['province']}/evidence.zip?p=2026-11")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.is_streamed and "attachment" in resp.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    names = archive.namelist()
    assert len(names) == 2 and all(n.startswith("2026-11-21_ngay-thu-bay") for n in names)
    assert archive.testzip() is None
    served = {staff.get(f"/evidence/{eid}/file").data for eid in ids}
    assert {archive.read(n) for n in names} == served
    bad = staff.get(f"/evidence/units/{world.ids['province']}/evidence.zip?p=nonsense")
    assert bad.status_code == 400
