"""A reviewer returns an activity with a comment in Chromium; the branch's phone gets it."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import screenshot
from tests.world import activity_record

TITLE = 'Sửa đường <img src=x onerror="window.pwned=1"> xóm Nà Mạ'
COMMENT = "Bổ sung ảnh minh chứng </textarea><script>window.pwned=2</script> & số hộ"


def test_a_return_with_a_comment_shows_as_text_and_reaches_the_phone(world, live_server, browser):
    hoa = world.phone("hoa")
    rid = uuid.uuid4()
    hoa.push(
        hoa.mutation(
            "upsert", rid, activity_record(world.ids["b1"], title=TITLE, status="submitted")
        )
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(live_server + "/login")
        page.fill("#username", "canbo")
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
    hoa.sync_down()
    record = hoa.store[str(rid)]
    assert (record["status"], record["review_comment"]) == ("returned", COMMENT)
