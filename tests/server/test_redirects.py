"""After sign-in the browser goes to ``next`` only if it is a path on this site."""

from __future__ import annotations

import pytest

from server.auth.redirects import safe_next
from tests import factories as f

HOSTILE = [
    "//evil.example/",
    "///evil.example/",
    "/\t/evil.example/",  # browsers delete tabs and newlines anywhere in a URL
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",  # and strip leading spaces and control characters
    "\x00//evil.example/",
    "/\\evil.example/",  # and read a backslash as a slash
    "\\\\evil.example/",
    "/\\/evil.example/",
    "https://evil.example/",
    "http:/evil.example/",
    "javascript:alert(1)",
    "data:text/html,x",
    "evil.example",
    "reports",
    "／／evil.example",  # fullwidth solidus: not ASCII, refused outright
    "/\u3000/evil.example",
    "/reports\x7f",
    "",
]
SAFE = ["/", "/reports/12", "/review/?page=2&type=thu_bay", "/people/3#devices", "/%2F%2Fx"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_kept(target):
    assert safe_next(target) == target


@pytest.fixture
def member(app):
    from server.extensions import db
    from server.models import UnitKind

    with app.app_context():
        f.user("0912000001", f.unit("CB-01", f.unit("CB", None, UnitKind.PROVINCE)))
        db.session.commit()
    return "0912000001"


@pytest.mark.parametrize(
    "query",
    [
        "next=%2F%09%2Fevil.example%2F",  # the reported bypass: "/\t/evil.example/"
        "next=%2F%0A%2Fevil.example%2F",
        "next=%2F%5Cevil.example%2F",
        "next=%2F%2Fevil.example%2F",
        "next=%20%2F%2Fevil.example",
        "next=https%3A%2F%2Fevil.example",
    ],
)
def test_sign_in_never_sends_the_browser_to_another_site(client, member, query):
    resp = client.post(f"/login?{query}", data={"username": member, "password": f.PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_sign_in_goes_on_to_the_page_asked_for(client, member):
    resp = client.post(
        "/login?next=%2Freports%2F12", data={"username": member, "password": f.PASSWORD}
    )
    assert resp.headers["Location"] == "/reports/12"
