"""The field app's shell at 360×640, as a member new to it met it (issue 15): where a screen
opens, a revoked sign-in, names of the controls, room for content, Vietnamese formats, the
install icons, and errors a screen reader can follow."""

from __future__ import annotations

import io
import re
from datetime import date

from PIL import Image

from server.extensions import db
from server.models import Activity, Unit
from tests import factories as f
from tests.e2e.conftest import ARTIFACTS, screenshot
from tests.e2e.photos import attach, camera_photo
from tests.e2e.pwa import (
    LATER_CACHED,
    WORKER_LISTS,
    device_id,
    open_activity,
    outbox_count,
    ready,
    record_activity,
    sign_in,
    stored,
    sync_once,
    until,
)


def _many(world, count: int = 25) -> None:
    """A branch with a long history: a list taller than the phone's screen."""
    with world.app.app_context():
        unit = db.session.get(Unit, world.ids["b1"])
        for i in range(count):
            f.activity(unit, date(2026, 10, 1 + i % 28), title=f"Hoạt động cũ {i:02d}")
        db.session.commit()


def _scroll_to_bottom(page) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    until(page, "window.scrollY > 300")


def test_each_screen_opens_at_its_top_not_where_the_last_one_was_scrolled(
    world, live_server, phone_page
):
    _many(world)
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    _scroll_to_bottom(page)
    page.locator("#records a.record").last.click()
    page.wait_for_selector("#detail-title")
    assert page.evaluate("window.scrollY") == 0  # the title and any comment in view

    page.click("#edit")
    page.wait_for_selector("#activity-form")
    assert page.evaluate("window.scrollY") == 0

    page.click("nav a[href='#/']")
    page.wait_for_selector("#records")
    _scroll_to_bottom(page)
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    assert page.evaluate("window.scrollY") == 0
    page.select_option("#f-type", "thi_dua")
    page.fill("#f-title", "Mục vừa ghi")  # today: the newest, first in the list
    page.click("#save")
    page.wait_for_selector("#records li:first-child:has-text('Mục vừa ghi')")
    # The new entry is first in the list, and the list opens where it can be seen.
    box = page.evaluate(
        """() => { const r = document.querySelector('#records li').getBoundingClientRect();
                   return [r.top, r.bottom]; }"""
    )
    assert 0 <= box[0] and box[1] <= 640, box


def test_a_revoked_sign_in_keeps_reading_and_recording_and_asks_to_sign_in_only_to_send(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Đã gửi từ trước")
    until(page, "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => n === 0)")
    device = device_id(page)
    assert world.phone("hoa").post(f"/api/v1/devices/{device}/revoke", {}).status_code == 200
    page.click("#sync")
    page.wait_for_selector("#signin-needed")  # a banner, not the whole screen
    assert "Đăng nhập" in page.inner_text("#signin-needed")
    # The branch's entries are still readable, and new ones go to the outbox.
    page.wait_for_selector("#records")
    assert "Đã gửi từ trước" in page.inner_text("#records")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#records")
    open_activity(page, "Đã gửi từ trước")
    record_activity(page, "Ghi khi phiên đã hết")
    assert outbox_count(page) == 1
    screenshot(page, "pwa-signin-needed")

    page.context.set_offline(False)
    page.click("#signin-needed button")
    page.wait_for_selector("#sign-in")
    sign_in(page, "hoa")
    until(page, "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => n === 0)")
    assert device_id(page) == device
    assert stored(world, title="Ghi khi phiên đã hết") == 1


def test_the_three_sync_controls_have_different_names(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    header = page.inner_text("#sync").strip()
    tab = page.inner_text("nav a[href='#/sync']").strip()
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#sync-now")
    centre = page.inner_text("#sync-now").strip()
    tab = "".join(ch for ch in tab if not ch.isdigit()).strip()  # without the badge
    assert len({header, tab, centre}) == 3, (header, tab, centre)
    for name in (header, tab, centre):
        assert name != "Đồng bộ"


def test_content_starts_high_on_a_small_screen_and_editing_highlights_the_list_tab(
    world, live_server, phone_page
):
    _many(world, 5)
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    sync_once(page)
    # Header, status, tabs and the search: the first entry begins in the top 40 %.
    first = page.locator("#records li").first.bounding_box()
    assert first is not None and first["y"] <= 0.4 * 640, first
    for selector in ("header", "#status", "nav"):
        assert page.locator(selector).bounding_box()["height"] <= 56, selector
    # The three filters fold away behind one control, and come back with it.
    assert not page.locator("#filter-month").is_visible()
    page.click("#filters-toggle")
    assert page.locator("#filter-month").is_visible()
    page.select_option("#filter-month", "2026-10")
    assert page.locator("#records li").count() == 5

    open_activity(page, "Hoạt động cũ 00")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    current = page.locator("nav a[aria-current]")
    assert current.count() == 1 and current.get_attribute("href") == "#/"


def test_numbers_and_times_are_written_the_vietnamese_way(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    synced_text = page.inner_text("#status")
    assert re.search(r"\d{1,2}:\d{2}", synced_text), synced_text
    assert not re.search(r"\d{1,2}:\d{2}:\d{2}", synced_text), synced_text

    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    assert page.input_value("#f-volunteer_hours") != "0.0"
    assert "." not in page.input_value("#f-volunteer_hours")
    page.select_option("#f-type", "tinh_nguyen")
    page.fill("#f-title", "Sửa đường liên xóm")
    page.fill("#f-volunteer_hours", "2,5")
    page.fill("#f-q-road_km", "0,5")
    page.click("#save")
    page.wait_for_selector("#records")
    until(page, "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => n === 0)")
    with world.app.app_context():
        a = db.session.query(Activity).filter_by(title="Sửa đường liên xóm").one()
        assert (str(a.volunteer_hours), a.quantities) == ("2.5", {"road_km": 0.5})

    open_activity(page, "Sửa đường liên xóm")
    facts = page.inner_text("dl.facts")
    assert "0,5 km" in facts and "2,5" in facts
    assert "0.5" not in facts and "2.5" not in facts
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    assert page.input_value("#f-q-road_km") == "0,5"
    assert page.input_value("#f-volunteer_hours") == "2,5"

    page.click("nav a[href='#/settings']")
    page.wait_for_selector("#sign-out")
    used = page.inner_text("main")
    assert re.search(r"\d,\d (MB|GB)", used) and not re.search(r"\d\.\d (MB|GB)", used), used


def test_the_manifest_offers_png_icons_for_android(live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/app/")
    manifest = page.evaluate("fetch('/app/manifest.webmanifest').then(r => r.json())")
    pngs = {i["sizes"]: i for i in manifest["icons"] if i.get("type") == "image/png"}
    assert {"192x192", "512x512"} <= set(pngs)
    assert any("maskable" in i.get("purpose", "") for i in pngs.values())
    assert any(i["type"] == "image/svg+xml" for i in manifest["icons"])
    for size, icon in pngs.items():
        body = page.request.get(live_server + "/app/" + icon["src"])
        assert body.ok and body.headers["content-type"] == "image/png"
        assert "x".join(map(str, Image.open(io.BytesIO(body.body())).size)) == size


#: The photo code: the sources' modules, or the build's chunks of them.
PHOTO_CODE = re.compile(r"/js/photo/|/(photos|upload)-[A-Z0-9]+\.js$")

#: Every module a file of the worker's list imports statically (``from"…"``, ``import"…"``:
#: the build's minified chunks and the sources alike; ``import("…")`` is on demand).
STATIC_IMPORTS = """urls => Promise.all(urls.filter(u => u.endsWith('.js')).map(u =>
  fetch(u).then(r => r.text())
    .then(t => [...t.matchAll(/(?:\\bfrom|\\bimport)\\s*["']([^"']+)["']/g)]
    .map(m => new URL(m[1], location.origin + u).pathname))))
  .then(lists => [...new Set(lists.flat())])"""


def test_the_photo_code_is_fetched_once_the_worker_controls_the_page_not_before(
    world, live_server, phone_page, tmp_path
):
    """Issue 15: with the photo chunks in the install's precache the worker took one more
    2G round trip before it controlled the page (5.22 s offline-ready). They are fetched
    into the same cache after it has taken control (decision 190), so a photo can still
    be taken offline right after a first visit."""
    page = phone_page
    page.goto(live_server + "/app/")
    until(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    worker = page.evaluate(WORKER_LISTS)
    # Installing does not wait for the photo code…
    assert [u for u in worker["shell"] if PHOTO_CODE.search(u)] == []
    later = [u for u in worker["later"] if PHOTO_CODE.search(u)]
    assert any("photos" in u for u in later) and any("upload" in u for u in later), worker
    # …but once it controls the page the worker fetches it, the page having asked for none.
    until(page, LATER_CACHED)
    asked = "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    assert not set(page.evaluate(asked)) & set(worker["later"])

    # The shell does not need the later files: nothing in it imports one statically…
    assert not set(page.evaluate(STATIC_IMPORTS, worker["shell"])) & set(worker["later"])
    # …and what only the photo code reaches comes later too (its shrinking and hashing).
    assert set(page.evaluate(STATIC_IMPORTS, later)) - set(worker["shell"]) <= set(worker["later"])

    # So a photo is taken offline: the form's photo code comes from the worker's cache.
    sign_in(page, "hoa")
    page.context.set_offline(True)
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#photos[data-ready]")
    attach(page, camera_photo(tmp_path / "IMG_0002.jpg"), 1)


def test_field_errors_are_tied_to_their_inputs_with_one_alert_and_focus_in_screen_order(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.fill("#f-starts_on", "")
    page.fill("#f-members_count", "-3")
    page.click("#save")
    page.wait_for_selector("#err-title:not(:empty)")
    invalid = page.evaluate(
        """() => [...document.querySelectorAll('#activity-form [aria-invalid=true]')].map(i => ({
             id: i.id,
             described: (i.getAttribute('aria-describedby') || '').split(/\\s+/)
               .map(id => document.getElementById(id)).filter(Boolean)
               .map(n => n.textContent).join(' ')}))"""
    )
    assert [i["id"] for i in invalid][:2] == ["f-type", "f-title"]
    for item in invalid:
        assert item["described"].strip(), item
    alerts = page.evaluate(
        """() => [...document.querySelectorAll('[role=alert]')]
             .filter(n => n.textContent.trim()).length"""
    )
    assert alerts == 1
    # The first invalid field on the screen, top to bottom: the type, not the dates.
    assert page.evaluate("document.activeElement.id") == "f-type"


def _no_sideways_scroll(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width} px wide"


def test_every_screen_at_360_by_640_fits_and_is_saved_for_a_look(world, live_server, phone_page):
    """Screenshots of every screen in test-artifacts/shell-*.png (looked at by a person
    before a release); what a test can see is checked: nothing wider than the phone."""
    _many(world, 6)
    page = phone_page
    ready(page, live_server)
    _no_sideways_scroll(page, "sign-in")
    screenshot(page, "shell-sign-in")
    sign_in(page, "hoa")
    record_activity(page, "Sửa đường liên xóm", type="tinh_nguyen", volunteer_hours="2,5")
    page.click("#filters-toggle")
    screenshot(page, "shell-list-filters")
    page.click("#filters-toggle")
    for name, hash_, selector in [
        ("list", "#/", "#records"),
        ("new", "#/new", "#activity-form"),
        ("outbox", "#/sync", "#waiting"),
        ("settings", "#/settings", "#sign-out"),
    ]:
        page.click(f"nav a[href='{hash_}']")
        page.wait_for_selector(selector)
        _no_sideways_scroll(page, name)
        screenshot(page, f"shell-{name}")
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.click("#save")
    page.wait_for_selector("#err-title:not(:empty)")
    _no_sideways_scroll(page, "form-errors")
    screenshot(page, "shell-form-errors")
    # What the person sees first: the summary and the first field to fix, in focus.
    page.screenshot(path=str(ARTIFACTS / "shell-form-errors-top.png"))
    open_activity(page, "Sửa đường liên xóm")
    _no_sideways_scroll(page, "detail")
    screenshot(page, "shell-detail")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    _no_sideways_scroll(page, "edit")
    screenshot(page, "shell-edit")
