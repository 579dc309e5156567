"""What a member new to the field app met (issue 15), in Chromium at 360×640: "Huỷ" asks
before throwing typing away and is out of a slip's reach (item 3); a returned entry is the
first thing seen, counted, with the comment beside the fields (item 4); a draft stays on
the phone until "Gửi" (item 5); the sync centre shows one line per entry (item 6)."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Activity
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import (
    open_activity,
    outbox_count,
    ready,
    record_activity,
    sign_in,
    status,
    stored,
    sync_once,
    synced,
    until,
)
from tests.world import signed_in


def _activity(world, title: str) -> Activity:
    with world.app.app_context():
        return db.session.scalars(select(Activity).where(Activity.title == title)).one()


def test_cancel_asks_before_throwing_typing_away_and_is_apart_from_the_save_buttons(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    asked: list[str] = []

    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    save = page.locator("#save-draft").bounding_box()
    cancel = page.locator("#cancel").bounding_box()
    # Not beside "Lưu nháp": a thumb aiming at one cannot land on the other.
    gap = cancel["y"] - (save["y"] + save["height"])
    assert gap >= 40, gap
    # Nothing typed: nothing to lose, nothing asked.
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#cancel")
    page.wait_for_selector("#records")
    assert asked == []

    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.fill("#f-title", "Đang gõ dở")
    page.click("#cancel")
    until(page, "true")
    assert len(asked) == 1 and "Bỏ những gì vừa nhập" in asked[0]
    assert page.input_value("#f-title") == "Đang gõ dở"  # dismissed: the typing stays
    screenshot(page, "pwa-form-cancel")


def test_cancel_after_confirming_drops_the_typing(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.fill("#f-title", "Không cần nữa")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel")
    page.wait_for_selector("#records")
    assert page.evaluate("import('/app/js/shared/db.js').then(db => db.getDraft('new'))") is None
    assert "Không cần nữa" not in page.inner_text("#records")


def test_a_returned_entry_comes_first_counted_with_its_comment_beside_the_fields(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Hiến máu", starts_on="01/11/2026", ends_on="01/11/2026")
    record_activity(page, "Trồng cây")  # newer: above it in the list until it is returned
    synced(page)
    staff = signed_in(world.app, "canbo")
    comment = "Bổ sung số người dân được phục vụ"
    resp = staff.post(
        f"/review/{_activity(world, 'Hiến máu').id}/return", data={"return-comment": comment}
    )
    assert resp.status_code == 302

    sync_once(page)
    assert "1 mục bị trả lại" in status(page)
    assert page.inner_text("nav [data-badge]") == "1"
    assert "Hiến máu" in page.inner_text("#returned-banner")
    assert page.locator("#records li strong").first.inner_text() == "Hiến máu"
    screenshot(page, "pwa-list-returned")
    page.click("#returned-banner a")
    page.wait_for_selector("#activity-form")
    assert comment in page.inner_text("#form-review-comment")
    screenshot(page, "pwa-form-returned")
    page.fill("#f-citizens_served", "40")
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    assert "trả lại" not in status(page)
    assert page.locator("#returned-banner").count() == 0
    assert _activity(world, "Hiến máu").status == "submitted"


def test_a_draft_stays_on_the_phone_until_it_is_sent(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.select_option("#f-type", "thi_dua")
    page.fill("#f-title", "Nháp họp chi đoàn")
    page.click("#save-draft")
    page.wait_for_selector("#records")
    item = page.locator("#records li", has_text="Nháp họp chi đoàn")
    assert "Nháp · chỉ trên điện thoại" in item.inner_text()
    assert outbox_count(page) == 0
    assert "1 bản nháp chưa gửi" in status(page) and "chờ gửi" not in status(page)
    sync_once(page)
    assert stored(world) == 0  # staff do not see it: it was never sent
    page.reload()  # and it survives a reload, a sync and a sign-out attempt
    page.wait_for_selector("#records")
    assert "Nháp · chỉ trên điện thoại" in page.inner_text("#records")
    screenshot(page, "pwa-list-draft")
    page.click("nav a[href='#/settings']")
    page.click("#sign-out")
    page.wait_for_selector("#sign-out-message:not(:empty)")
    assert "bản nháp" in page.inner_text("#sign-out-message")

    open_activity(page, "Nháp họp chi đoàn")
    page.click("#send-draft")
    page.wait_for_selector("#records")
    synced(page)
    assert _activity(world, "Nháp họp chi đoàn").status == "submitted"
    assert "✓ Đã gửi" in page.locator("#records li", has_text="Nháp họp chi đoàn").inner_text()
    assert "bản nháp" not in status(page)


def test_a_draft_of_an_edit_keeps_the_sent_version_on_the_server(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Sửa đường", place="Đầu xóm")
    synced(page)
    open_activity(page, "Sửa đường")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Cuối xóm")
    page.click("#save-draft")
    page.wait_for_selector("#records")
    sync_once(page)  # a pull must not overwrite the draft
    assert _activity(world, "Sửa đường").place == "Đầu xóm"
    open_activity(page, "Sửa đường")
    assert "Cuối xóm" in page.inner_text("dl.facts")
    page.click("#send-draft")
    page.wait_for_selector("#records")
    synced(page)
    assert _activity(world, "Sửa đường").place == "Cuối xóm"


def test_the_sync_centre_shows_one_line_per_entry_with_what_will_happen(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Đã gửi trước")
    synced(page)
    page.context.set_offline(True)
    record_activity(page, "Ghi mới")
    open_activity(page, "Ghi mới")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Nhà văn hoá")
    page.click("#save")
    page.wait_for_selector("#records")
    record_activity(page, "Ghi nhầm")
    open_activity(page, "Ghi nhầm")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    page.wait_for_selector("#records")
    open_activity(page, "Đã gửi trước")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Sân bóng")
    page.click("#save")
    page.wait_for_selector("#records")
    assert outbox_count(page) == 5

    assert "3 mục đang chờ gửi" in status(page)
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#waiting")
    lines = page.locator("#waiting > li").all_inner_texts()
    assert len(lines) == 3, lines
    by_title = {line.splitlines()[0]: line for line in lines}
    assert "Hoạt động mới" in by_title["Ghi mới"]
    assert "máy chủ sẽ không giữ gì" in by_title["Ghi nhầm"]
    assert "thay đổi sẽ gửi" in by_title["Đã gửi trước"]
    assert not any("#" in line for line in lines)  # no mutation numbers
    # The protocol's view stays reachable, folded away.
    assert page.locator("#protocol-detail").get_attribute("open") is None
    assert page.locator("#protocol-detail li").count() == 5
    screenshot(page, "pwa-sync-centre-entries")
