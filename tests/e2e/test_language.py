"""The language switch in a real browser, on a phone: one click, and it holds."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.world import build_world


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_phone_switches_to_english_and_back(app, live_server, phone_page):
    build_world(app)
    page = phone_page
    page.goto(live_server + "/login")
    assert page.get_attribute("html", "lang") == "vi"
    page.fill("#username", "canbo")
    page.fill("#password", "mat-khau-thu-nghiem")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    assert page.inner_text("h1") == "Xin chào, Lương Văn Cán"
    _no_sideways_scroll(page)
    screenshot(page, "language-home-vi-360")
    page.click("footer.lang >> text=English")
    page.wait_for_url("**/?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Hello, Lương Văn Cán"
    _no_sideways_scroll(page)
    screenshot(page, "language-home-en-360")
    # It holds: the menu leads to English pages without asking again.
    page.click("nav >> text=Officers and members")
    assert page.inner_text("h1") == "Officers and members"
    assert "People you manage" in page.inner_text("main")
    screenshot(page, "language-people-en-360")
    page.click("nav >> text=Units")
    assert page.inner_text("h1") == "Units"
    page.click("nav >> text=Home")
    page.click("footer.lang >> text=Tiếng Việt")
    page.wait_for_url("**/?lang=vi")
    page.click("nav >> text=Đơn vị")
    assert page.inner_text("h1") == "Đơn vị"
    assert page.get_attribute("html", "lang") == "vi"
