"""User text with HTML or script renders as text, in a real browser."""

from __future__ import annotations

from server.extensions import db
from server.models import UnitKind
from tests import factories as f
from tests.e2e.conftest import screenshot

NAME = 'Nông Thị <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
UNIT = "Chi đoàn <b onmouseover=alert(1)>Nà</b> Lủng </title><script>window.pwned=3</script>"


def test_names_with_markup_show_as_text_in_chromium(app, live_server, phone_page):
    with app.app_context():
        root = f.unit("CB", None, UnitKind.PROVINCE, name="Tỉnh Đoàn Cao Bằng")
        f.user("0912000001", f.unit("CB-01", root, name=UNIT), full_name=NAME)
        db.session.commit()
    dialogs: list[str] = []
    phone_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone_page.goto(live_server + "/login")
    phone_page.fill("#username", "0912000001")
    phone_page.fill("#password", f.PASSWORD)
    phone_page.click("button[type=submit]")
    phone_page.wait_for_url(live_server + "/")
    body = phone_page.inner_text("main")
    assert "<script>window.pwned = 1</script>" in body
    assert "<b onmouseover=alert(1)>Nà</b>" in body
    assert phone_page.evaluate("window.pwned") is None
    assert phone_page.locator("main img").count() == 0
    phone_page.hover("main")
    assert dialogs == []
    screenshot(phone_page, "dashboard-home-escaped")


def test_staff_enrol_a_phone_with_a_code_and_qr_in_chromium(app, live_server, browser):
    with app.app_context():
        root = f.unit("CB", None, UnitKind.PROVINCE, name="Tỉnh Đoàn Cao Bằng")
        commune = f.unit("CB-TH", root, UnitKind.COMMUNE, name="Đoàn xã Trường Hà")
        f.user("canbo", commune, role="unit_staff", full_name="Lương Văn Cán")
        f.user(
            "0912000005",
            f.unit("CB-TH-01", commune, name="Chi đoàn xóm Pác Bó"),
            full_name="Hoàng Thị Lan",
        )
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.fill("#username", "canbo")
        page.fill("#password", f.PASSWORD)
        page.click("button[type=submit]")
        page.click("text=Cán bộ, đoàn viên")
        page.click("text=Hoàng Thị Lan")
        page.click("text=Tạo mã kích hoạt điện thoại")
        code = page.inner_text("#enrolment-code")
        assert len(code) == 14
        qr = page.locator("img[alt='Mã QR của mã kích hoạt']")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        screenshot(page, "dashboard-enrolment-code")
    finally:
        context.close()
