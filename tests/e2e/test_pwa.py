"""The field app in Chromium at 360×640: installable shell, every screen offline, entries
kept in the outbox while offline and sent exactly once when the network is back."""

from __future__ import annotations

import tempfile

from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity
from tests.e2e.conftest import CHROMIUM, PHONE, screenshot
from tests.e2e.pwa import ready, record_activity, sign_in, status, sync_once, synced


def test_recorded_offline_kept_across_reloads_and_sent_once(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    screenshot(page, "pwa-sign-in")
    sign_in(page, "hoa")
    screenshot(page, "pwa-list-empty")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#records")  # the shell and the session, from the phone
    assert "Không có mạng" in status(page)
    # Every screen opens with no network.
    for hash_, selector in [
        ("#/new", "#activity-form"),
        ("#/sync", "#waiting"),
        ("#/settings", "#sign-out"),
        ("#/", "#records"),
    ]:
        page.click(f"nav a[href='{hash_}']")
        page.wait_for_selector(selector)

    titles = ["Dọn vệ sinh <b>đường</b> xóm", "Thăm hỏi gia đình chính sách", "Tập huấn"]
    for title in titles:
        record_activity(page, title, place="Nà Mạ", members_count="12")
    page.reload()
    page.wait_for_selector("#records")
    items = page.locator("#records li").all_inner_texts()
    assert len(items) == 3 and all("Đang chờ gửi" in i for i in items)
    assert "3 mục đang chờ gửi" in status(page)
    assert page.locator("#records b").count() == 0  # typed markup stays text
    screenshot(page, "pwa-offline-waiting")

    page.context.set_offline(False)
    synced(page)
    items = page.locator("#records li").all_inner_texts()
    assert all("Chờ duyệt" in i for i in items)
    with world.app.app_context():
        stored = dict(
            db.session.execute(select(Activity.title, func.count()).group_by(Activity.title)).all()
        )
        place = db.session.scalar(select(Activity.place).limit(1))
    assert stored == {t: 1 for t in titles}
    assert place == "Nà Mạ"
    # A second sync sends nothing again.
    sync_once(page)
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 3
    screenshot(page, "pwa-synced")


def test_chromium_judges_the_app_installable(live_server, browser):
    """Chromium's own verdict (manifest, icons, a worker that serves offline). It needs a
    profile on disk: a browser's throwaway contexts are never offered installation."""
    with tempfile.TemporaryDirectory() as profile:
        context = browser.browser_type.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            service_workers="allow",
            **PHONE,
        )
        try:
            page = context.new_page()
            ready(page, live_server)
            cdp = context.new_cdp_session(page)
            assert cdp.send("Page.getAppManifest")["errors"] == []
            assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        finally:
            context.close()
