"""A refused entry can be fixed, in Chromium at 360×640: for every reason the server can
refuse an entry with (PROTOCOL §3), the detail screen and the sync centre offer only what
can work for that reason, and doing it ends with the entry accepted or knowingly given
up, never refused again (issue 15 item 1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import Activity, Unit, User
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import (
    open_activity,
    ready,
    record_activity,
    retire_type,
    sign_in,
    status,
    stored,
    sync_once,
    synced,
    until,
)
from tests.sync.test_push import _refuse_title
from tests.world import signed_in

FIX = "Sửa và gửi lại"
DISCARD = "Bỏ thay đổi này"
KEEP = "Giữ bản trên máy chủ"
COPY = "Chép thay đổi thành hoạt động mới"
REFILE = "Chuyển sang chi đoàn hiện tại"


def _activity(world, title: str) -> Activity:
    with world.app.app_context():
        return db.session.scalars(select(Activity).where(Activity.title == title)).one()


def _offered(page) -> list[str]:
    """Every action the detail screen offers (buttons and button-like links)."""
    return page.locator("#view button, #view a.button").all_inner_texts()


def _refused(page, title: str) -> None:
    page.wait_for_selector("#status:has-text('1 mục bị từ chối')", timeout=20000)
    open_activity(page, title)
    page.wait_for_selector("#rejected-reason")


def _queue(page, unit_id: int, title: str, collection: str = "activities", **values) -> None:
    """Queue an entry through the app's own outbox as the form does, with values the form
    never sends (an older version of the app, or another client of the protocol)."""
    record = {
        "unit_id": unit_id,
        "type": "thi_dua",
        "title": title,
        "starts_on": date.today().isoformat(),
        "ends_on": date.today().isoformat(),
        "place": "",
        "members_count": 3,
        "citizens_served": 0,
        "volunteer_hours": "1.0",
        "quantities": {},
        "description": "",
        "status": "submitted",
        "recorded_at": "2026-11-20T08:00:00+07:00",
        **values,
    }
    page.evaluate(
        """async ([record, collection]) => {
          const outbox = await import('/app/js/shared/outbox.js');
          await outbox.queueUpsert({ id: crypto.randomUUID(), version: 0, ...record });
          if (collection === 'activities') return;
          const db = await new Promise((ok) => {
            indexedDB.open('sodoan').onsuccess = (e) => ok(e.target.result);
          });
          const tx = db.transaction('outbox', 'readwrite');
          const store = tx.objectStore('outbox');
          const all = store.getAll();
          all.onsuccess = () => all.result.forEach((m) => store.put({ ...m, collection }));
          await new Promise((ok) => { tx.oncomplete = ok; });
          db.close();
        }""",
        [record, collection],
    )


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def test_validation_failed_is_fixed_in_the_form_with_its_field_marked(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    record_activity(page, "Câu lạc bộ", type="clb_can_bo_tre")
    retire_type(world, "clb_can_bo_tre")  # the province, meanwhile
    page.context.set_offline(False)
    _refused(page, "Câu lạc bộ")
    assert _offered(page) == [FIX, DISCARD]
    assert "Hãy sửa các ô được đánh dấu" in page.inner_text("#rejected-reason")
    screenshot(page, "pwa-detail-refused-validation")
    page.click("#rejected-reason a.button")
    page.wait_for_selector("#activity-form")
    assert "Loại hoạt động đã ngừng sử dụng" in page.inner_text("#err-type")
    page.select_option("#f-type", "thi_dua")
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    assert "bị từ chối" not in status(page)
    assert _activity(world, "Câu lạc bộ").type_id is not None


def _verify(world, title: str) -> None:
    staff = signed_in(world.app, "canbo")
    assert staff.post(f"/review/{_activity(world, title).id}/verify").status_code == 302
    assert _activity(world, title).status == "verified"


def test_an_edit_of_an_activity_verified_meanwhile_is_copied_as_a_new_entry(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Dọn vệ sinh", place="Đầu xóm")
    synced(page)
    page.context.set_offline(True)
    open_activity(page, "Dọn vệ sinh")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Sân đình")
    page.click("#save")
    page.wait_for_selector("#records")
    _verify(world, "Dọn vệ sinh")  # staff, while the phone had no signal
    page.context.set_offline(False)
    _refused(page, "Dọn vệ sinh")
    # Sending it again, or deleting it, would be refused again: neither is offered.
    assert _offered(page) == [KEEP, COPY]
    screenshot(page, "pwa-detail-refused-verified")
    page.click("#rejected-reason button.copy-as-new")
    page.wait_for_selector("#activity-form")
    assert page.input_value("#f-place") == "Sân đình"
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    assert "bị từ chối" not in status(page)
    with world.app.app_context():
        rows = db.session.execute(
            select(Activity.place, Activity.status).where(Activity.title == "Dọn vệ sinh")
        ).all()
    assert sorted(rows) == [("Sân đình", "submitted"), ("Đầu xóm", "verified")]
    texts = page.locator("#records li").all_inner_texts()
    assert any("Đã xác nhận" in x for x in texts) and any("Đã gửi" in x for x in texts)


def test_a_delete_of_an_activity_verified_meanwhile_keeps_the_servers_version(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Họp chi đoàn")
    synced(page)
    page.context.set_offline(True)
    open_activity(page, "Họp chi đoàn")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    page.wait_for_selector("#records")
    _verify(world, "Họp chi đoàn")
    page.context.set_offline(False)
    _refused(page, "Họp chi đoàn")
    assert _offered(page) == [KEEP]
    page.click("#rejected-reason button.keep-server-version")
    page.wait_for_selector("#detail-title")
    until(page, "!document.querySelector('#rejected-reason')")
    assert "Đã xác nhận" in page.inner_text(".badge")
    assert "bị từ chối" not in status(page)
    assert stored(world, title="Họp chi đoàn") == 1


def test_an_entry_of_a_branch_left_meanwhile_is_filed_again_from_its_detail(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    record_activity(page, "Ghi trước khi chuyển")
    with world.app.app_context():
        db.session.execute(
            update(User).where(User.username == "hoa").values(unit_id=world.ids["b2"])
        )
        db.session.commit()
    page.context.set_offline(False)
    _refused(page, "Ghi trước khi chuyển")
    assert _offered(page) == [REFILE, DISCARD]  # (as on main already)
    page.click("#view button.refile")
    page.wait_for_selector("#records")
    synced(page)
    assert _activity(world, "Ghi trước khi chuyển").unit_id == world.ids["b2"]
    assert "bị từ chối" not in status(page)


def test_an_entry_the_member_may_no_longer_write_can_only_be_discarded(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    record_activity(page, "Ghi khi còn là đoàn viên")
    with world.app.app_context():  # the commune makes Hoa one of its staff meanwhile
        db.session.execute(update(User).where(User.username == "hoa").values(role="unit_staff"))
        db.session.commit()
    page.context.set_offline(False)
    _refused(page, "Ghi khi còn là đoàn viên")
    assert _offered(page) == [DISCARD]
    assert "Hãy hỏi bí thư chi đoàn" in page.inner_text("#rejected-reason")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#rejected-reason button.discard")
    page.wait_for_selector("#records")
    until(page, "!document.querySelector('#records a.record')")
    assert "bị từ chối" not in status(page)


def _fix_status(page, world) -> None:
    page.click("#save")  # the form sends the status a member may send


def _fix_date(page, world) -> None:
    assert page.inner_text("#err-starts_on")
    yesterday = _dmy(date.today() - timedelta(days=1))
    page.fill("#f-starts_on", yesterday)
    page.fill("#f-ends_on", yesterday)
    page.click("#save")


def _fix_title(page, world) -> None:
    assert page.inner_text("#err-title")
    page.fill("#f-title", "Được nhận")
    page.click("#save")


def _close_branch(world) -> None:
    with world.app.app_context():
        db.session.execute(
            update(Unit).where(Unit.id == world.ids["b1"]).values(closed_on=date.today())
        )
        db.session.commit()


CASES = {
    # reason: (how the entry is made and refused, how the person fixes it)
    "status_not_allowed": ({"status": "verified"}, None, _fix_status),
    "date_in_future": (
        {
            "starts_on": (date.today() + timedelta(days=60)).isoformat(),
            "ends_on": (date.today() + timedelta(days=60)).isoformat(),
        },
        None,
        _fix_date,
    ),
    "unit_closed": ({}, _close_branch, _fix_date),
    "storage_refused": (
        {"title": "Bị từ chối"},
        lambda world: _refuse_title(world.app, "Bị từ chối"),
        _fix_title,
    ),
    "unknown_collection": ({"collection": "photos"}, None, _fix_status),
}


@pytest.mark.parametrize("reason", sorted(CASES))
def test_a_refusal_fixed_by_editing_is_fixed_and_accepted(world, live_server, phone_page, reason):
    values, meanwhile, fix = CASES[reason]
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    if meanwhile:
        meanwhile(world)
    values = dict(values)
    title = values.pop("title", f"Mục {reason}")
    _queue(page, world.ids["b1"], title, **values)
    sync_once(page)
    _refused(page, title)
    assert _offered(page) == [FIX, DISCARD]
    assert page.get_attribute("#rejected-reason", "data-reason") == reason
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#rejected")
    assert page.locator("#rejected .actions").first.locator(
        "button, a.button"
    ).all_inner_texts() == [FIX, DISCARD]
    page.click("#rejected a.button")
    page.wait_for_selector("#activity-form")
    fix(page, world)
    page.wait_for_selector("#records")
    synced(page)
    assert "bị từ chối" not in status(page)
    kept = "Được nhận" if reason == "storage_refused" else title
    assert stored(world, title=kept) == 1
