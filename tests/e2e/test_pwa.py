"""The field app in Chromium at 360×640: installable shell, offline reload, entries kept in
the outbox while offline and sent exactly once when the network is back."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity
from tests import factories as f
from tests.e2e.conftest import screenshot


def until(page, expression: str, timeout_ms: int = 15000, arg=None) -> None:
    """Poll ``expression`` (awaited) until it is truthy. ``page.wait_for_function`` would
    evaluate a string inside the page, which the app's Content-Security-Policy forbids —
    as it should."""
    for _ in range(timeout_ms // 100):
        if page.evaluate(expression, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression}")


def synced(page) -> None:
    page.wait_for_selector("#status:has-text('Đã đồng bộ')", timeout=15000)


def ready(page, base: str) -> None:
    page.goto(base + "/app/")
    until(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    until(page, "caches.keys().then(k => k.some(n => n.startsWith('sodoan-shell-')))")


def test_recorded_offline_kept_across_reloads_and_sent_once(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    page.fill("#username", "hoa")
    page.fill("#password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#new-activity")
    synced(page)
    screenshot(page, "pwa-list-empty")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#new-activity")  # the shell and the session, from the phone
    assert "Không có mạng" in page.inner_text("#status")
    titles = ["Dọn vệ sinh <b>đường</b> xóm", "Thăm hỏi gia đình chính sách", "Tập huấn"]
    for title in titles:
        page.fill("#title", title)
        page.click("#new-activity button[type=submit]")
        until(
            page,
            "t => [...document.querySelectorAll('#records strong')].some(e => e.textContent === t)",
            arg=title,
        )
    page.reload()
    page.wait_for_selector("#records")
    items = page.locator("#records li").all_inner_texts()
    assert len(items) == 3 and all("Đang chờ gửi" in i for i in items)
    assert "3 mục đang chờ gửi" in page.inner_text("#status")
    assert page.locator("#records b").count() == 0  # typed markup stays text
    screenshot(page, "pwa-offline-waiting")

    page.context.set_offline(False)
    synced(page)
    items = page.locator("#records li").all_inner_texts()
    assert all("Đã đồng bộ" in i for i in items)
    with world.app.app_context():
        stored = dict(
            db.session.execute(select(Activity.title, func.count()).group_by(Activity.title)).all()
        )
    assert stored == {t: 1 for t in titles}
    # A second sync sends nothing again.
    page.click("#sync")
    synced(page)
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 3
    screenshot(page, "pwa-synced")
