"""Hostile URLs and forms on the dashboard: 404 or 400, never a 500, on both databases.

The outside review (issue 12 §3) found ``/reports/<huge int>``, ``/people/…``, ``/units/…``,
``/review/?page=9…9``, ``?type=9…9`` and a NUL byte in ``?q=`` answering 500 on PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.world import signed_in

HUGE = "9" * 30
HUGER = "9" * 5000
PG_OVERFLOW = str(2**31)


@pytest.mark.parametrize(
    "path",
    [
        "/reports/{n}",
        "/reports/{n}/completeness",
        "/reports/{n}/commendations",
        "/reports/{n}/targets",
        "/reports/{n}/export.csv",
        "/reports/{n}/summary.docx",
        "/people/{n}",
        "/units/{n}",
    ],
)
def test_an_id_no_row_can_have_is_404(world, path):
    client = signed_in(world.app, "tinh")
    for number in (PG_OVERFLOW, HUGE, HUGER, "0"):
        resp = client.get(path.format(n=number))
        assert resp.status_code == 404, (path, number[:20], resp.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/people/{n}",
        "/people/{n}/enrolment-code",
        "/people/{n}/deactivate",
        "/units/{n}/rename",
        "/reports/{n}/schedule",
    ],
)
def test_posting_to_an_id_no_row_can_have_is_404(world, path):
    client = signed_in(world.app, "tinh")
    for number in (PG_OVERFLOW, HUGE):
        resp = client.post(path.format(n=number), data={})
        assert resp.status_code == 404, (path, number, resp.status_code)


@pytest.mark.parametrize(
    "query",
    [
        f"page={HUGE}",
        f"page={HUGER}",
        f"page={PG_OVERFLOW}",
        "page=²",
        f"type={HUGE}",
        f"type={PG_OVERFLOW}",
        "type=²",
        f"unit={HUGE}",
        "unit=²",
    ],
)
def test_numbers_in_the_review_querystring_never_answer_500(world, query):
    client = signed_in(world.app, "canbo")
    for path in ("/review/", "/review/export.csv"):
        resp = client.get(f"{path}?{query}")
        assert resp.status_code == 200, (path, query, resp.status_code)


def test_a_page_past_the_last_shows_the_last(world):
    client = signed_in(world.app, "canbo")
    page = client.get(f"/review/?page={PG_OVERFLOW}").get_data(as_text=True)
    assert "trang 1/1" in page


@pytest.mark.parametrize(
    "path",
    [
        "/review/?q=a%00b",
        "/units/?q=%00",
        "/people/?q=x%00",
        "/login?next=%2F%00",
        "/reports/?p=2026%00",
        "/app/%00",
        "/app/index%00.html",
    ],
)
def test_a_nul_in_the_url_is_400(world, path):
    client = signed_in(world.app, "tinh")
    resp = client.get(path)
    assert resp.status_code in (400, 404), (path, resp.status_code)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"username": "ti\x00nh", "password": "x"}),
        ("/people/new", {"username": "a\x00", "full_name": "b", "role": "branch_member"}),
        ("/units/1/rename", {"rename-name": "x\x00", "rename-effective_on": "2026-01-01"}),
    ],
)
def test_a_nul_in_a_form_is_400(world, path, data):
    client = signed_in(world.app, "tinh")
    resp = client.post(path, data=data)
    assert resp.status_code == 400, (path, resp.status_code)
