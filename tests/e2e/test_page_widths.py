"""Every dashboard page at a desktop's width (1366×768) and a phone's (360×640): the page
never scrolls sideways, and nothing sticks out of its card. Screenshots of each land in
``test-artifacts/`` to be looked at."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Activity, Unit, User
from tests import factories as f
from tests.e2e.conftest import PHONE, screenshot
from tests.server.test_reports import caught_up
from tests.world import activity_record, signed_in

LONG = "Ra quân dọn vệ sinh đường liên xóm và trồng cây xanh tại khu văn hoá xóm Nà Mạ"
REASON = (
    "Tích cực tham gia các hoạt động tình nguyện, vận động được nhiều đoàn viên tham gia "
    "dọn vệ sinh, làm đường, hỗ trợ người dân làm hồ sơ đất đai trên cổng dịch vụ công "
    "https://dichvucong.caobang.gov.vn/portaldvc/KenhTin/DichVuCongTrucTuyenMucDoBonToanTrinh.aspx?_dv=hosodatdai"
)


@pytest.fixture
def filled(world):
    """The world with what each page shows: activities with long titles (some waiting for
    review), a refused entry, a nomination with evidence and an administrator."""
    hoa = world.phone("hoa")
    out = hoa.push(
        hoa.mutation(
            "upsert",
            uuid.uuid4(),
            activity_record(world.ids["b1"], title=LONG, members_count=-3, status="submitted"),
        )
    )
    assert out["results"][0]["status"] == "rejected"
    with world.app.app_context():
        b1 = db.session.get(Unit, world.ids["b1"])
        b3 = db.session.get(Unit, world.ids["b3"])
        for i in range(6):
            f.activity(b1, date(2026, 3, 1 + i), title=f"{LONG} {i}", status="submitted")
        f.activity(b3, date(2026, 4, 2), title=LONG, status="verified", members_count=12)
        f.user("quantri", db.session.get(Unit, world.ids["province"]), role="admin")
        db.session.commit()
    tinh = _client(world)
    first = _first_activity(world)
    resp = tinh.post(
        f"/reports/{world.ids['province']}/commendations?p=2026",
        data={"kind": "member", "name": "Nông Thị Hoa", "reason": REASON, "activities": [first]},
    )
    assert resp.status_code == 302
    caught_up(world.app)  # the totals, as the worker adds them up
    return world


def _client(world):
    return signed_in(world.app, "tinh")


def _first_activity(world) -> str:
    with world.app.app_context():
        return str(db.session.scalars(select(Activity.id).order_by(Activity.starts_on)).first())


def _pages(world) -> dict[str, tuple[str | None, str]]:
    """Name → (who signs in, path)."""
    ids, act = world.ids, _first_activity(world)
    with world.app.app_context():
        hoa = db.session.scalars(select(User.id).where(User.username == "hoa")).one()
    p = ids["province"]
    return {
        "login": (None, "/login"),
        "home": ("tinh", "/"),
        "reports-show": ("tinh", f"/reports/{p}?p=2026"),
        "reports-branch": ("tinh", f"/reports/{ids['b1']}?p=2026"),
        "activity": ("tinh", f"/reports/activity/{act}"),
        "completeness": ("tinh", f"/reports/{p}/completeness?p=2026-03"),
        "targets": ("tinh", f"/reports/{p}/targets?p=2026"),
        "commendations": ("tinh", f"/reports/{p}/commendations?p=2026"),
        "review-index": ("tinh", "/review/"),
        "review-show": ("tinh", f"/review/{act}"),
        "review-refused": ("tinh", "/review/refused"),
        "people-index": ("tinh", "/people/"),
        "people-new": ("tinh", "/people/new"),
        "people-show": ("tinh", f"/people/{hoa}"),
        "units-index": ("tinh", "/units/"),
        "units-show": ("tinh", f"/units/{ids['commune']}"),
        "password": ("tinh", "/password"),
        "sign-ins": ("quantri", "/sign-ins"),
    }


#: Tables whose rows become cards on a phone.
CARDS_ON_A_PHONE = ("queue", "refused", "branches", "nominations")
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
SIZES = {"desktop": DESKTOP, "phone": PHONE}

# Whatever sticks out of the box that holds it, beyond what scrolls inside that box.
OVERFLOWING = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    const box = el.getBoundingClientRect();
    if (!box.width) continue;
    let up = el.parentElement;
    while (up && up.tagName !== 'MAIN') {
      if (up.classList.contains('card')) {
        const outer = up.getBoundingClientRect();
        if (box.right > outer.right + 1) out.push(el.tagName + '.' + el.className + ' in card');
        break;
      }
      if (getComputedStyle(up).overflowX !== 'visible') break;  // scrolls inside its box
      up = up.parentElement;
    }
  }
  return out.slice(0, 5);
}"""


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_no_page_scrolls_sideways(filled, live_server, browser, size, language):
    """In both languages: English words are longer than the Vietnamese they stand for."""
    pages = _pages(filled)
    contexts = {}
    failures = []
    try:
        for name, (who, path) in pages.items():
            if who not in contexts:
                context = browser.new_context(**SIZES[size])
                context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
                page = context.new_page()
                if who is not None:
                    page.goto(live_server + "/login")
                    page.fill("#username", who)
                    page.fill("#password", f.PASSWORD)
                    page.click("main button[type=submit]")
                    page.wait_for_url(lambda url: "/login" not in url)
                contexts[who] = (context, page)
            page = contexts[who][1]
            resp = page.goto(live_server + path)
            assert resp is not None and resp.status == 200, (name, resp and resp.status)
            assert page.get_attribute("html", "lang") == language, name
            screenshot(page, f"width-{size}-{name}" + ("" if language == "vi" else "-en"))
            wide = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if wide > 0:
                failures.append(f"{name}: the page scrolls sideways by {wide}px")
            # Lists read row by row on a phone are cards there: they do not scroll either.
            if size == "phone":
                for table_id in CARDS_ON_A_PHONE:
                    inner = page.evaluate(
                        f"() => {{ const t = document.getElementById('{table_id}');"
                        " return t ? t.scrollWidth - t.clientWidth : 0; }"
                    )
                    if inner > 0:
                        failures.append(f"{name}: #{table_id} scrolls sideways by {inner}px")
            if name == "review-index" and size == "desktop":
                # The title gets the room; the checkbox and the dates what they need.
                widths = page.evaluate(
                    "() => [...document.querySelectorAll('#queue thead th')]"
                    ".map(th => [th.innerText.trim(), th.getBoundingClientRect().width])"
                )
                heading = "Hoạt động" if language == "vi" else "Activities"
                title = dict(widths)[heading]
                whole = sum(w for _, w in widths)
                if title < whole / 3 or any(w > title for n, w in widths if n != heading):
                    failures.append(f"{name}: the title has {title:.0f} of {whole:.0f}px")
            # On a desktop nothing scrolls inside its card either; on a phone a wide table
            # may, but never the page.
            sticking = page.evaluate(OVERFLOWING) if size == "desktop" else []
            if sticking:
                failures.append(f"{name}: sticks out of its card: {sticking}")
    finally:
        for context, _ in contexts.values():
            context.close()
    assert not failures, failures
