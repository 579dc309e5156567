"""The dashboard's pages at a province's scale: completeness grouped, filtered and sorted,
the review queue sorted by date, the units below sortable with rates, the change against
the previous period only when it means something, one period form with dd/mm/yyyy dates,
and the small things an audit found (landmarks, favicon, compressed CSS, totals cells)."""

from __future__ import annotations

import gzip
import re
from datetime import date

import pytest

from server.extensions import db
from server.models import Unit
from server.reports import charts
from tests import factories as f
from tests.server.htmltables import body_rows, table
from tests.server.test_completeness import branches  # noqa: F401  (hand-worked tree)
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in


def _page(client, url: str, status: int = 200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:400]
    return resp.get_data(as_text=True)


# -- completeness ----------------------------------------------------------------------------


def test_completeness_groups_branches_by_the_unit_below_with_counts_and_rates(app, branches):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{branches['P']}/completeness?p=2026-10")
    groups = [s for s in table(page, "branches") if s.tag == "tbody"]
    heads = [s.rows[0][0].text for s in groups]
    assert len(heads) == 2
    assert heads[0].startswith("Đoàn xã A") and "2/4 đã báo cáo (50%)" in heads[0]
    assert heads[1].startswith("Đoàn xã B") and "1/1 đã báo cáo (100%)" in heads[1]
    # The units below, with their rates.
    rows = body_rows(page, "children")
    assert rows[0][:4] == ["Đoàn xã A", "4", "2", "50%"]


def test_completeness_names_each_branchs_parent(app, branches):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{branches['P']}/completeness?p=2026-10")
    rows = {r[0]: r for r in body_rows(page, "branches") if len(r) > 1}
    assert rows["Chi đoàn a1"][1] == "Đoàn xã A"
    assert rows["Chi đoàn b1"][1] == "Đoàn xã B"


def test_completeness_shows_only_who_has_not_reported_when_asked(app, branches):  # noqa: F811
    client = signed_in(app, "tinh")
    url = f"/reports/{branches['P']}/completeness?p=2026-10"
    page = _page(client, url + "&only=missing")
    names = [r[0] for r in body_rows(page, "branches") if len(r) > 1]
    assert names == ["Chi đoàn a3", "Chi đoàn a4"]
    # B reported in full: its group is left out, the counts above stay whole.
    assert "Đoàn xã B" not in " ".join(r[0] for r in body_rows(page, "branches"))
    assert 'id="expected">5<' in page
    # The filter is a link (no script), and so is its way back.
    assert 'href="/reports/{}/completeness?p=2026-10"'.format(branches["P"]) in page
    assert "only=missing" in _page(client, url)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a3", "a4", "a1", "a2"]),  # not reported first, then by name
        ("&sort=name", ["a1", "a2", "a3", "a4"]),
        ("&sort=name&dir=desc", ["a4", "a3", "a2", "a1"]),
        ("&sort=activities&dir=desc", ["a1", "a2", "a3", "a4"]),
        ("&sort=state", ["a1", "a2", "a3", "a4"]),  # on time, late, waiting, silent
        ("&sort=sync&dir=desc", ["a3", "a4", "a1", "a2"]),  # newest sync first, none last
        ("&sort=bogus&dir=sideways", ["a3", "a4", "a1", "a2"]),
    ],
)
def test_completeness_sorts_on_the_server(app, branches, query, expected):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{branches['A']}/completeness?p=2026-10{query}")
    names = [r[0].removeprefix("Chi đoàn ") for r in body_rows(page, "branches") if len(r) > 1]
    assert names == expected


def test_completeness_headings_are_sort_links(app, branches):  # noqa: F811
    page = _page(
        signed_in(app, "tinh"), f"/reports/{branches['A']}/completeness?p=2026-10&sort=name"
    )
    # Sorted by name, ascending: its heading turns it round, and says how it is sorted.
    assert re.search(r'aria-sort="ascending"[^>]*><a href="[^"]*sort=name&amp;dir=desc', page)
    assert re.search(r'<a href="[^"]*sort=activities', page)


# -- the overview ----------------------------------------------------------------------------


@pytest.fixture
def added_up(app, tree):  # noqa: F811
    """The fixed tree with its totals added up, as the worker does between writes."""
    caught_up(app)
    return tree


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Đoàn xã A", "Đoàn xã B"]),
        ("&sort=name&dir=desc", ["Đoàn xã B", "Đoàn xã A"]),
        ("&sort=activities", ["Đoàn xã B", "Đoàn xã A"]),
        ("&sort=activities&dir=desc", ["Đoàn xã A", "Đoàn xã B"]),
        ("&sort=verified_rate&dir=desc", ["Đoàn xã A", "Đoàn xã B"]),
    ],
)
def test_units_below_sort_on_the_server(app, added_up, query, expected):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{added_up['P']}?p=2026{query}")
    assert [r[0] for r in body_rows(page, "children")] == expected


def test_units_below_have_rates(app, added_up):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{added_up['P']}?p=2026")
    head = [c.text for c in table(page, "children")[0].rows[0]]
    rows = {r[0]: r for r in body_rows(page, "children")}
    # A: 3 of the province's 4 activities, 1 of its 3 verified.
    assert rows["Đoàn xã A"][head.index("Tỷ trọng")] == "75%"
    assert rows["Đoàn xã A"][head.index("Tỷ lệ xác nhận")] == "33%"


def test_totals_rows_put_figures_in_data_cells(app, added_up):  # noqa: F811
    page = _page(signed_in(app, "tinh"), f"/reports/{added_up['P']}?p=2026")
    (foot,) = [s for s in table(page, "children") if s.tag == "tfoot"]
    first, *rest = foot.rows[0]
    assert (first.tag, first.attrs.get("scope"), first.text) == ("th", "row", "Tổng cộng")
    assert {c.tag for c in rest} == {"td"}
    assert rest[0].text == "4"


def test_change_against_too_little_a_previous_period_is_not_a_percentage(app, added_up):  # noqa: F811
    # 2025 holds 2 activities: "+100%" against it says nothing.
    page = _page(signed_in(app, "tinh"), f"/reports/{added_up['P']}?p=2026")
    assert "+100%" not in page
    assert "Kỳ trước có dưới 20 hoạt động, chưa đủ để so sánh" in page


def test_change_is_a_percentage_against_enough_data(app, added_up):  # noqa: F811
    with app.app_context():
        a2 = db.session.get(Unit, added_up["A2"])
        for day in range(1, 21):
            f.activity(a2, date(2025, 3, day), status="submitted")
        for day in range(1, 3):
            f.activity(a2, date(2026, 9, day), status="submitted")
        db.session.commit()
    caught_up(app)
    page = _page(signed_in(app, "tinh"), f"/reports/{added_up['P']}?p=2026")
    # 6 this year against 22 the year before.
    assert "−73%" in page or "-73%" in page
    assert "chưa đủ để so sánh" not in page


# -- one period form, dates written dd/mm/yyyy ----------------------------------------------


def test_one_period_form_with_one_button_and_dates_as_text(app, tree):  # noqa: F811
    client = signed_in(app, "tinh")
    for path in ("", "/completeness", "/targets", "/commendations"):
        page = _page(client, f"/reports/{tree['P']}{path}?p=2026")
        forms = re.findall(r'<form method="get"[^>]*class="[^"]*period', page)
        assert len(forms) == 1, path
        period_form = page.split('class="filters no-print period')[1].split("</form>")[0]
        assert period_form.count("<button") == 1
        assert 'type="date"' not in period_form
        assert 'name="from"' in period_form and 'placeholder="dd/mm/yyyy"' in period_form


def test_a_range_is_read_as_day_month_year(app, added_up):  # noqa: F811
    client = signed_in(app, "tinh")
    page = _page(client, f"/reports/{added_up['P']}?p=range&from=01/01/2026&to=31/12/2026")
    assert 'id="period">01/01/2026 – 31/12/2026<' in page
    assert re.search(
        r'id="total-activities">\s*<div class="label">[^<]*</div>\s*'
        r'<div class="value">4<',
        page,
    )
    # The dates stay written the way they were typed, in the form.
    assert 'value="01/01/2026"' in page and 'value="31/12/2026"' in page
    # A bookmark from before (ISO dates, no p) still opens.
    assert 'id="period">01/01/2026 – 31/12/2026<' in _page(
        client, f"/reports/{added_up['P']}?from=2026-01-01&to=2026-12-31"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=31/02/2026&to=01/03/2026", "Ngày không hợp lệ: 31/02/2026"),
        ("from=12/31/2026&to=01/01/2027", "Ngày không hợp lệ: 12/31/2026"),
        ("from=hôm qua&to=01/01/2027", "Ngày không hợp lệ: hôm qua"),
        ("from=01/01/2026&to=", "Nhập cả ngày bắt đầu và ngày kết thúc"),
        ("from=01/03/2026&to=01/01/2026", "Ngày kết thúc phải sau ngày bắt đầu"),
        ("from=01/01/0001&to=01/01/2026", "Chỉ xem được báo cáo từ năm 2000"),
    ],
)
def test_a_bad_date_is_a_clear_error(app, tree, query, message):  # noqa: F811
    client = signed_in(app, "tinh")
    for path in ("", "/targets", "/commendations"):
        page = _page(client, f"/reports/{tree['P']}{path}?p=range&{query}", 400)
        assert message in page, path


# -- the review queue ------------------------------------------------------------------------


@pytest.fixture
def queue(world):
    with world.app.app_context():
        b1 = db.session.get(Unit, world.ids["b1"])
        b3 = db.session.get(Unit, world.ids["b3"])
        f.activity(b1, date(2026, 3, 5), title="Giữa", status="submitted")
        f.activity(b3, date(2026, 1, 9), title="Sớm nhất", status="submitted")
        f.activity(b1, date(2026, 6, 1), title="Muộn nhất", status="submitted")
        db.session.commit()
    return world


def test_review_queue_sorts_by_date_both_ways(queue):
    client = signed_in(queue.app, "tinh")

    def titles(query: str) -> list[str]:
        page = _page(client, "/review/" + query)
        title = [c.text for c in table(page, "queue")[0].rows[0]].index("Hoạt động")
        return [r[title].split(" ")[0] for r in body_rows(page, "queue")]

    assert titles("?sort=date") == ["Sớm", "Giữa", "Muộn"]
    assert titles("?sort=date&dir=desc") == ["Muộn", "Giữa", "Sớm"]
    page = _page(client, "/review/?sort=date")
    assert re.search(r'aria-sort="ascending"[^>]*><a href="[^"]*sort=date&amp;dir=desc', page)


def test_review_queue_names_the_commune(queue):
    page = _page(signed_in(queue.app, "tinh"), "/review/?sort=date")
    head = [c.text for c in table(page, "queue")[0].rows[0]]
    rows = body_rows(page, "queue")
    assert [r[head.index("Đoàn xã")] for r in rows] == [
        "Đoàn xã Lũng Nặm",
        "Đoàn xã Trường Hà",
        "Đoàn xã Trường Hà",
    ]


# -- charts ----------------------------------------------------------------------------------

#: A generous width of one character of the charts' 13 px font (wide capitals, diacritics).
CHAR = 7.8


def test_value_labels_fit_above_the_tallest_column():
    chart = charts.bars([("01/26", 5.0), ("02/26", 120.0)])
    tallest = min(b["y"] for b in chart["bars"])
    # The label's baseline is 3 px above the column; 13 px of text must fit above it.
    assert tallest - 3 - 13 >= 0


def test_type_labels_fit_left_of_their_bars():
    name = "Hỗ trợ người dân làm thủ tục hành chính trên cổng dịch vụ công trực tuyến"
    chart = charts.hbars([(name, 7.0), ("Trồng cây", 1000.0)])
    for b in chart["bars"]:
        assert len(b["label"]) * CHAR <= chart["x0"] - 8, b["label"]
        assert chart["x0"] + b["w"] + 6 + len(str(int(b["value"]))) * CHAR <= chart["width"]


# -- small things ----------------------------------------------------------------------------


def test_every_navigation_landmark_has_its_own_label(queue):
    client = signed_in(queue.app, "tinh")
    for url in ("/review/", f"/reports/{queue.ids['b1']}?p=2026", "/"):
        page = _page(client, url)
        navs = re.findall(r"<nav\b[^>]*>", page)
        labels = [re.search(r'aria-label="([^"]+)"', n) for n in navs]
        assert all(labels), (url, navs)
        assert len({m[1] for m in labels if m}) == len(navs), (url, navs)


def test_a_favicon_of_our_own(app):
    client = app.test_client()
    page = _page(client, "/login")
    assert re.search(r'<link rel="icon" href="[^"]+"', page)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page)[1]
    assert client.get(href).status_code == 200
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype.startswith("image/")


def test_the_stylesheet_is_sent_compressed(app):
    resp = app.test_client().get("/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers.get("Content-Encoding") == "gzip"
    assert b"--red" in gzip.decompress(resp.get_data())
    # Still revalidated by its ETag.
    again = app.test_client().get(
        "/static/site.css",
        headers={"Accept-Encoding": "gzip", "If-None-Match": resp.headers["ETag"]},
    )
    assert again.status_code == 304


def test_links_that_keep_the_query_survive_any_parameter(app, branches):  # noqa: F811
    """Sort and filter links repeat the page's query: a parameter named like the unit in
    the path or like url_for's own options must not make them fail (a 500)."""
    client = signed_in(app, "tinh")
    hostile = "unit_id=9&_external=1&_scheme=ftp&_anchor=x&_method=POST&endpoint=x"
    for url in (
        f"/reports/{branches['P']}?p=2026&sort=name&{hostile}",
        f"/reports/{branches['P']}/completeness?p=2026-10&only=missing&{hostile}",
        f"/review/?sort=date&{hostile}",
    ):
        page = _page(client, url)
        assert "ftp:" not in page and "#x" not in page, url
