"""A name holding direction controls cannot reorder the text around it, in Chromium: on the
dashboard and in the field app (issue 12 §3). ``"X \\u202egnp.exe"`` used to show as
"X exe.png", and everything after it on the line backwards.

The names are written with SQL, as rows stored before names were cleaned would be: what
the server takes in today is cleaned (tests/server/test_text_controls.py).
"""

from __future__ import annotations

from sqlalchemy import text

from server.extensions import db
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import ready, sign_in

HOSTILE = "X \u202egnp.exe"

# The left edge, on screen, of the first character of each of ``marks`` in the element's
# text: logical order and visual order are the same exactly when these increase.
EDGES = """([selector, marks]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const out = {};
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const mark of marks) {
      const i = node.data.indexOf(mark);
      if (i < 0 || mark in out) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      out[mark] = range.getBoundingClientRect().left;
    }
  }
  return marks.map((m) => out[m]);
}"""


def _store_hostile_name(world) -> None:
    with world.app.app_context():
        db.session.execute(
            text("UPDATE users SET full_name = :name WHERE username = 'hoa'"), {"name": HOSTILE}
        )
        db.session.execute(
            text("UPDATE units SET name = :name WHERE id = :id"),
            {"name": "Chi đoàn \u202eáM àN", "id": world.ids["b1"]},
        )
        db.session.commit()


def _in_order(page, selector: str, marks: list[str]) -> list[float]:
    edges = page.evaluate(EDGES, [selector, marks])
    assert None not in edges, (selector, marks, page.inner_text(selector))
    return edges


def test_the_dashboard_shows_a_hostile_name_in_logical_order(world, live_server, phone_page):
    _store_hostile_name(world)
    page = phone_page
    page.set_viewport_size({"width": 1280, "height": 900})  # each line on one line
    page.goto(live_server + "/login")
    page.fill("#username", "hoa")
    page.fill("#password", "mat-khau-thu-nghiem")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    # "Xin chào, X gnp.exe": the name reads as stored, left to right.
    hello, g, dot = _in_order(page, "main h1", ["Xin", "gnp", ".exe"])
    assert hello < g < dot
    # The unit line: the name, then "(Chi đoàn)", the kind, to its right.
    name, kind = _in_order(page, "main dl", ["Chi đoàn áM", "(Chi"])
    assert name < kind
    screenshot(page, "dashboard-bidi")


def test_the_field_app_shows_a_hostile_name_in_logical_order(world, live_server, phone_page):
    _store_hostile_name(world)
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("#account")
    # "X gnp.exe · hoa": the name as stored, then the username after it.
    x, g, dot, username = _in_order(page, "#account", ["X", "gnp", ".exe", "hoa"])
    assert x < g < dot < username
    assert "\u202e" not in page.inner_text("#account")
    screenshot(page, "pwa-bidi")
