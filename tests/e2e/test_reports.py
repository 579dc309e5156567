"""Provincial staff read figures in Chromium: pick a period, drill down, export to Excel."""

from __future__ import annotations

import threading
import time

import pytest

from server.extensions import db
from server.reports import worker
from server.reports.freshness import waiting
from tests import factories as f
from tests.e2e.conftest import screenshot
from tests.server import sheets
from tests.server.test_reports import tree  # noqa: F401  (the fixed tree, hand-computed)


@pytest.fixture
def totals_worker(app, tree):  # noqa: F811
    """The totals worker running beside the live server, as in production; the test
    starts once it has added up what the fixed tree left waiting."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(app,), kwargs={"interval": 0.2, "stop": stop}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    with app.app_context():
        while waiting() is not None:
            assert time.monotonic() < deadline, "the totals worker never caught up"
            db.session.remove()
            time.sleep(0.1)
        db.session.remove()
    yield
    stop.set()
    thread.join(10)


def test_pick_a_period_drill_down_and_export(tree, totals_worker, live_server, browser, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.fill("#username", "tinh")
        page.fill("#password", f.PASSWORD)
        page.click("button[type=submit]")
        page.click("nav.nav >> text=Báo cáo")
        page.select_option("#p", label="Năm 2025")
        page.click("form.period button")
        assert page.inner_text("#period") == "Năm 2025"
        assert page.inner_text("#total-activities .value") == "2"
        # One form: a range of days is one of the periods, its dates written dd/mm/yyyy.
        page.select_option("#p", value="range")
        page.fill("#from", "01/01/2026")
        page.fill("#to", "31/12/2026")
        page.click("form.period button")
        assert page.inner_text("#period") == "01/01/2026 – 31/12/2026"
        assert page.inner_text("#total-activities .value") == "4"
        assert page.inner_text("#total-hours .value") == "44,5"
        assert page.locator("svg.chart rect").count() == 12 + 3 + 2  # months, pillars, types
        screenshot(page, "dashboard-report-province")

        page.click("#children >> text=Đoàn xã A")
        assert page.inner_text("#unit-name") == "Đoàn xã A"
        rows = page.locator("#children tbody tr").all_inner_texts()
        assert [r.split("\t")[:2] for r in rows] == [
            ["Chi đoàn a1", "2"],
            ["Chi đoàn a2", "0"],
            ["Chi đoàn b1", "1"],
        ]
        page.click("#children >> text=Chi đoàn a1")
        assert page.locator("#activities tbody tr").count() == 2
        screenshot(page, "dashboard-report-branch")

        page.go_back()
        page.click("#completeness-link")
        # 2026 as the period: a1 and b1 (under A since July) reported, a2 did not.
        assert page.inner_text("#expected") == "3"
        assert page.inner_text("#reported") == "2"
        assert "Chi đoàn a2" in page.inner_text("#branches tbody tr:first-child")
        screenshot(page, "dashboard-completeness")
        page.go_back()
        page.click("#targets-link")
        page.select_option("#each_kind", "branch")
        page.fill("#activities", "1")
        page.click("button:has-text('Đặt chỉ tiêu')")
        assert page.inner_text(".progress-figure") == "2/3"
        screenshot(page, "dashboard-targets")
        page.go_back()
        page.go_back()
        with page.expect_download() as info:
            page.click("#children >> xpath=ancestor::section >> text=Excel")
        path = tmp_path / "units.xlsx"
        info.value.save_as(path)
        sheet = sheets.read(path.read_bytes())
        assert "TỔNG HỢP THEO ĐƠN VỊ" in sheet.top
        assert any(line.startswith("Đoàn xã A —") for line in sheet.top)
        # …, hours, then the activities without an evidence photo (none has one here).
        assert sheet.rows + [sheet.totals] == [
            ["Chi đoàn a1", 2, 1, 15, 100, 30.0, 2],
            ["Chi đoàn a2", 0, 0, 0, 0, 0.0, 0],
            ["Chi đoàn b1", 1, 0, 4, 8, 8.5, 1],
            ["Tổng cộng", 3, 1, 19, 108, 38.5, 3],
        ]
    finally:
        context.close()


def test_the_overview_reads_on_a_phone(tree, totals_worker, live_server, phone_page):  # noqa: F811
    phone_page.goto(live_server + "/login")
    phone_page.fill("#username", "tinh")
    phone_page.fill("#password", f.PASSWORD)
    phone_page.click("button[type=submit]")
    phone_page.goto(live_server + f"/reports/{tree['P']}?p=2026")
    assert phone_page.inner_text("#total-activities .value") == "4"
    # Nothing wider than the screen: the page scrolls down, not sideways.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "dashboard-report-phone")


def test_titles_with_markup_show_as_text_on_report_pages(
    app,
    tree,  # noqa: F811
    totals_worker,
    live_server,
    phone_page,
):
    from datetime import date

    from server.models import Unit

    title = 'Trồng cây <img src=x onerror="window.pwned=1"> xóm <script>window.pwned=2</script>'
    with app.app_context():
        f.activity(
            db.session.get(Unit, tree["A1"]), date(2026, 9, 9), title=title, status="submitted"
        )
        db.session.commit()
    phone_page.goto(live_server + "/login")
    phone_page.fill("#username", "tinh")
    phone_page.fill("#password", f.PASSWORD)
    phone_page.click("button[type=submit]")
    phone_page.goto(live_server + f"/reports/{tree['A1']}?p=2026-09")
    assert title in phone_page.inner_text("#activities")
    assert phone_page.locator("main img").count() == 0
    assert phone_page.evaluate("window.pwned") is None
