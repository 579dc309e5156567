"""Entries typed before the person was moved to another branch, in Chromium: the server
refuses them (`forbidden`); the phone shows why, in Vietnamese, and the person files a new
entry again in their current branch or discards an edit of the old branch's record. Nothing
is dropped without them."""

from __future__ import annotations

from sqlalchemy import select, update

from server.extensions import db
from server.models import Activity, User
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import open_activity, ready, record_activity, sign_in, status, synced, until


def _move(world, username: str, unit_id: int) -> None:
    with world.app.app_context():
        db.session.execute(update(User).where(User.username == username).values(unit_id=unit_id))
        db.session.commit()


def _activity(world, title: str) -> Activity:
    with world.app.app_context():
        return db.session.scalars(select(Activity).where(Activity.title == title)).one()


def test_entries_typed_before_a_move_are_filed_again_in_the_new_branch(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Đã gửi ở Nà Mạ", place="Nà Mạ")
    synced(page)
    page.context.set_offline(True)
    record_activity(page, "Ghi trước khi chuyển", place="Nhà văn hoá", members_count="7")
    open_activity(page, "Đã gửi ở Nà Mạ")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Sân bóng")
    page.click("#save")
    page.wait_for_selector("#records")
    _move(world, "hoa", world.ids["b2"])  # the commune moves Hoa to Cốc Lùng meanwhile
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('2 mục bị từ chối')", timeout=20000)

    open_activity(page, "Ghi trước khi chuyển")
    reason = page.inner_text("#rejected-reason")
    assert "Chi đoàn xóm Nà Mạ" in reason and "không còn sinh hoạt" in reason
    assert "Chi đoàn xóm Cốc Lùng" in reason
    assert page.locator("#edit").count() == 0  # it cannot be fixed into the old branch
    screenshot(page, "pwa-detail-moved")

    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#rejected")
    created = page.locator("#rejected li", has_text="Ghi trước khi chuyển")
    edited = page.locator("#rejected li", has_text="Đã gửi ở Nà Mạ")
    assert "Chuyển sang chi đoàn hiện tại" in created.inner_text()
    assert "thay đổi của bạn không gửi được" in edited.inner_text()
    assert edited.locator("button.refile").count() == 0  # the old branch keeps its record
    assert page.locator("#rejected a.button").count() == 0
    screenshot(page, "pwa-sync-centre-moved")

    refused_id = created.get_attribute("data-id")
    created.locator("button.refile").click()
    page.wait_for_selector("#records")
    synced(page)
    refiled = _activity(world, "Ghi trước khi chuyển")
    assert refiled.unit_id == world.ids["b2"] and str(refiled.id) != refused_id
    assert (refiled.place, refiled.members_count) == ("Nhà văn hoá", 7)
    assert "1 mục bị từ chối" in status(page)

    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#rejected")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#rejected li", has_text="Đã gửi ở Nà Mạ").locator("button.discard").click()
    until(page, "!document.querySelector('#rejected')")
    assert "bị từ chối" not in status(page)
    kept = _activity(world, "Đã gửi ở Nà Mạ")
    assert (kept.unit_id, kept.place) == (world.ids["b1"], "Nà Mạ")
    page.click("nav a[href='#/']")
    page.wait_for_selector("#records")
    assert page.locator("#records strong").all_inner_texts() == ["Ghi trước khi chuyển"]

    # What Hoa records from now on belongs to her new branch.
    record_activity(page, "Ghi sau khi chuyển")
    synced(page)
    assert _activity(world, "Ghi sau khi chuyển").unit_id == world.ids["b2"]
    assert "bị từ chối" not in status(page)
