"""How the language is chosen and kept, that the catalogues are whole and current, and
that numbers and dates follow the page's language (issue 16 §3)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string

from server.formatting import vn_date, vn_datetime, vn_number
from server.i18n import TRANSLATIONS, compile_catalogues
from tests.world import signed_in

ROOT = Path(__file__).resolve().parents[2]


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def test_vietnamese_whatever_the_browser_says(world):
    client = world.app.test_client()
    resp = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in resp.get_data(as_text=True)
    assert "Đăng nhập" in resp.get_data(as_text=True)
    assert "Sign in" not in resp.get_data(as_text=True)
    assert "Cookie" in resp.headers["Vary"]


def test_a_chosen_language_holds_until_changed(world):
    client = signed_in(world.app, "canbo")
    page = client.get("/people/?lang=en")
    assert "People you manage" in page.get_data(as_text=True)
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The next pages, without asking again: English, with a way back to Vietnamese.
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in home and "Hello, Lương Văn Cán" in home
    assert 'href="/?lang=vi" lang="vi" hreflang="vi">Tiếng Việt</a>' in home
    back = client.get("/units/?q=Nà&lang=vi")
    assert "Các đơn vị trong phạm vi của bạn" in back.get_data(as_text=True)
    assert 'href="/units/?q=N%C3%A0&amp;lang=en"' in back.get_data(as_text=True)
    assert "Đơn vị" in client.get("/").get_data(as_text=True)


def test_an_unknown_language_is_vietnamese_and_not_kept(world):
    client = world.app.test_client()
    resp = client.get("/login?lang=fr")
    assert '<html lang="vi">' in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers
    client.set_cookie("lang", "<script>")
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_the_api_is_not_given_a_language_cookie(world):
    resp = world.app.test_client().get("/healthz?lang=en")
    assert "Set-Cookie" not in resp.headers
    resp = world.app.test_client().get("/api/v1/nowhere?lang=en")
    assert "Set-Cookie" not in resp.headers
    assert resp.get_json()["message"] == "Không tìm thấy"  # the JSON carries both, as before


def test_an_error_page_speaks_one_language(world):
    client = world.app.test_client()
    vi = client.get("/nowhere", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Không tìm thấy" in vi and "not found" not in vi.lower()
    en = client.get("/nowhere?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "not found" in en.lower() and "Không tìm thấy" not in en


def test_the_english_catalogue_is_complete_and_its_placeholders_match():
    english = _catalogue("en")
    assert len(english) > 100
    for message in english:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"to be checked: {message.id!r}"
        assert not list(message.check(english)), f"placeholders differ: {message.id!r}"


def test_the_catalogues_hold_every_string_of_the_code():
    """``make messages`` was run after the last string changed: the template lists every
    message id of the code, and both catalogues every id of the template."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_code = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert in_code == template
    for language in ("vi", "en"):
        found = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id}
        assert found == template, language


def test_catalogues_are_compiled_when_missing_or_older_than_their_source(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = compile_catalogues(copy)
    assert sorted(p.parts[-3] for p in written) == ["en", "vi"]
    assert compile_catalogues(copy) == []  # up to date: nothing to do
    po = copy / "en" / "LC_MESSAGES" / "messages.po"
    later = po.with_suffix(".mo").stat().st_mtime + 10
    os.utime(po, (later, later))
    assert [p.parts[-3] for p in compile_catalogues(copy)] == ["en"]


def test_numbers_and_dates_follow_the_page_and_vn_stays_vietnamese(app):
    page = (
        "{{ n | number }}|{{ d | date }}|{{ t | datetime }}|{{ s | percent }}|"
        "{{ n | vn_number }}|{{ d | vn_date }}|{{ t | vn_datetime }}"
    )
    values = {
        "n": Decimal("1234567.25"),
        "d": date(2026, 12, 4),
        "t": datetime(2026, 12, 4, 2, 30, tzinfo=UTC),
        "s": 0.255,
    }
    with app.test_request_context("/"):
        vi = render_template_string(page, **values)
    with app.test_request_context("/?lang=en"):
        en = render_template_string(page, **values)
    vietnamese = "1.234.567,25|04/12/2026|09:30 04/12/2026"
    assert vi == f"{vietnamese}|26%|{vietnamese}"
    assert en == f"1,234,567.25|4 Dec 2026|09:30, 4 Dec 2026|26%|{vietnamese}"
    assert (vn_number(None), vn_date(None), vn_datetime(None)) == ("—", "—", "—")
