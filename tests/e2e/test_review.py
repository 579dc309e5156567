"""A member records an activity in the field app; a reviewer returns it with a comment on
the dashboard; the member's phone shows the comment, as text — all in Chromium."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Activity
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import open_activity, ready, record_activity, sign_in, sync_once, synced

TITLE = 'Sửa đường <img src=x onerror="window.pwned=1"> xóm Nà Mạ'
COMMENT = "Bổ sung ảnh minh chứng </textarea><script>window.pwned=2</script> & số hộ"


def test_a_return_with_a_comment_shows_as_text_and_reaches_the_phone(
    world, live_server, browser, phone_page
):
    phone = phone_page
    ready(phone, live_server)
    sign_in(phone, "hoa")
    record_activity(phone, TITLE, place="Nà Mạ")
    synced(phone)
    with world.app.app_context():
        rid = db.session.scalars(select(Activity.id).where(Activity.title == TITLE)).one()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(live_server + "/login")
        page.fill("#username", "tinh")  # provincial staff
        page.fill("#password", "mat-khau-thu-nghiem")
        page.click("button[type=submit]")
        page.click("text=Duyệt hoạt động")
        assert TITLE in page.inner_text("#queue")
        screenshot(page, "dashboard-review-queue")
        page.click(f"#queue a[href$='{rid}']")
        assert page.inner_text("#title") == TITLE
        page.fill("#return-comment", COMMENT)
        page.click("#return")
        page.wait_for_selector("#comment")
        assert page.inner_text("#comment") == COMMENT
        assert page.inner_text("#status") == "Trả lại"
        assert page.evaluate("window.pwned") is None
        assert page.locator("main img").count() == 0
        assert dialogs == []
        screenshot(page, "dashboard-review-returned")
    finally:
        context.close()

    sync_once(phone)
    assert "Bị trả lại" in phone.inner_text("#records")
    open_activity(phone, "Sửa đường")
    assert phone.inner_text("#review-comment p") == COMMENT
    assert phone.evaluate("window.pwned") is None
    assert phone.locator("main img, main script").count() == 0
    screenshot(phone, "pwa-returned-from-dashboard")
