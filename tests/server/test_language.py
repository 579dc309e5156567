"""One language per page (issue 16 §3): a Vietnamese page says nothing in English that is
not data, an English page nothing in Vietnamese.

Every converted page is rendered as the people who see it, over a small world with
history, devices, failed sign-ins and refusals, and its visible text (text nodes, titles,
placeholders, alt texts) is read word by word. On a Vietnamese page every word must be
data (names, codes, titles from the database) or come from the catalogue's message ids
(or from one of the ``(vi, en)`` label pairs, decision 183); and none of the English of
the issue may appear. Text marked with another ``lang`` (the language switch) is said to
be in that language and is not read as the page's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import render_template
from sqlalchemy import select

from server import create_app
from server.errors import MESSAGES
from server.extensions import db
from server.models import (
    NOMINATION_KINDS,
    ROLE_LABELS,
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    Activity,
    ActivityType,
    AuditEvent,
    Device,
    Phase,
    Pillar,
    Unit,
    UnitEvent,
    UnitKind,
    UnitName,
    User,
)
from server.units.service import close_unit, move_unit, rename_unit
from tests import factories as f
from tests.world import World, build_world

TRANSLATIONS = Path(__file__).resolve().parents[2] / "server" / "translations"

#: The English the issue found on Vietnamese pages, and words no Vietnamese page needs.
ENGLISH = [
    "Consolidated figures",
    "Who has not reported",
    "Targets",
    "Commendations",
    "People you manage",
    "created",
    "code:",
    "parent:",
    "Sign in",
    "Role",
    "Unit",
    "none",
    "nobody",
    "Devices",
    "deactivated",
    "by account",
    "by address",
    "Units in your scope",
    "New person",
    "Change your password",
    "Wrong username or password",
    "Failed sign-ins",
    "Who has reported",
    "Review the activities your branches sent up",
    "Entries the server refused",
    "Figures are being updated",
]

#: Words that are the same in every language: file formats named on download links, and
#: the Roman numerals of a quarter ("Quý IV/2026").
SAME_IN_EVERY_LANGUAGE = {"excel", "csv", "zip", "word", "i", "ii", "iii", "iv"}

VIETNAMESE_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)
WORD = re.compile(r"[^\W\d_]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
SHOWN_ATTRIBUTES = ("placeholder", "alt", "title", "aria-label")


class _Text(HTMLParser):
    """The text a person sees (or hears) in the page's own language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = ""
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.page_lang = found.get("lang") or ""
        other = tag != "html" and found.get("lang") not in (None, self.page_lang)
        if not self._skipping() and not other:
            self.parts.extend(found[a] or "" for a in SHOWN_ATTRIBUTES if a in found)
        if tag not in VOID:
            self.stack.append((tag, other or tag in ("script", "style")))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible(html: str) -> tuple[str, str]:
    parser = _Text()
    parser.feed(html)
    return parser.page_lang, " ".join(parser.parts)


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def _ids_and_strings(language: str) -> tuple[set[str], set[str]]:
    ids, strings = set(), set()
    for message in _catalogue(language):
        if not message.id:
            continue
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            ids.add(text)
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            strings.add(text)
    return ids, strings


def _pairs(half: int) -> set[str]:
    labels = (ROLE_LABELS, UNIT_KIND_LABELS, STATUS_LABELS, NOMINATION_KINDS)
    return {pair[half] for table in labels for pair in table.values()}


def data_strings(app: Any) -> list[str]:
    """Everything the database holds that a page may show as it is, longest first."""
    with app.app_context():
        found: set[str] = set()
        for column in (
            Unit.name,
            Unit.code,
            UnitName.name,
            User.full_name,
            User.username,
            Device.name,
            Activity.title,
            Activity.place,
            ActivityType.name_vi,
            ActivityType.name_en,
            Pillar.name_vi,
            Pillar.name_en,
            Phase.name_vi,
            Phase.name_en,
        ):
            found.update(v for v in db.session.scalars(select(column)) if v)
        for detail in db.session.scalars(select(UnitEvent.detail)):
            found.update(str(v) for v in (detail or {}).values() if v)
        for detail in db.session.scalars(select(AuditEvent.detail)):
            found.update(str(v) for v in (detail or {}).values() if isinstance(v, str))
        for pillar in db.session.scalars(select(Pillar)):
            # The chart's axis names a pillar without its common lead ("bản thân").
            found.add(pillar.name_vi.removeprefix("Trách nhiệm với "))
            found.add(pillar.name_en.removeprefix("Responsibility to "))
        for kind in db.session.scalars(select(ActivityType)):
            for q in kind.quantities:
                found.update(q[k] for k in ("label_vi", "label_en", "unit_vi", "unit_en") if q[k])
    found.add("Sổ Đoàn")  # the product's name, in every language
    return sorted(found, key=len, reverse=True)


def shown_once(html: str) -> list[str]:
    """What a page makes up as it answers (an enrolment code): data too."""
    return re.findall(r'id="enrolment-code">([^<]+)<', html)


def without(text: str, data: list[str]) -> str:
    # Whole words only: a short value ("em") must not eat part of a word ("Xem").
    if not data:
        return text
    values = "|".join(re.escape(v) for v in sorted(data, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{values})(?!\w)", " ", text)


# --- the scene: the world, with history, a phone, an administrator, failed sign-ins ---


@pytest.fixture(scope="module")
def scene(backend: Any) -> Iterator[World]:
    """One world for every page of this module (building it takes seconds, and there are
    some sixty pages): the pages that change something change it the same way each time."""
    uri = backend.fresh()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False})
    try:
        yield _scene(build_world(app))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        backend.drop(uri)


def _scene(world: World) -> World:
    app = world.app
    with app.app_context():
        province = db.session.get(Unit, world.ids["province"])
        f.user("quantri", province, role="admin", full_name="Ma Văn Quản")
        b1 = db.session.get(Unit, world.ids["b1"])
        rename_unit(b1, "Chi đoàn xóm Nà Mạ mới", date(2026, 3, 1))
        b2 = db.session.get(Unit, world.ids["b2"])
        move_unit(b2, db.session.get(Unit, world.ids["other"]), date(2026, 4, 1))
        gone = f.unit("CB-LN-09", db.session.get(Unit, world.ids["other"]), name="Chi đoàn cũ")
        close_unit(gone, date(2026, 5, 1))
        f.unit("CB-LN-08", db.session.get(Unit, world.ids["other"]), UnitKind.BRANCH)
        kind = f.activity_type("thu_bay_tinh_nguyen")
        f.activity(
            b1,
            date(2026, 11, 21),
            title="Ngày thứ bảy tình nguyện",
            place="UBND xã Trường Hà",
            quantities={q["code"]: 3 for q in kind.quantities},
            members_count=12,
            citizens_served=1500,
            volunteer_hours=48.5,
            recorded_at_suspect=True,
            status="submitted",
        )
        world.ids["gone"] = gone.id
        world.ids["activity"] = db.session.scalar(select(Activity.id))
        world.ids["hoa"] = db.session.scalar(select(User.id).where(User.username == "hoa"))
        world.ids["minh"] = db.session.scalar(select(User.id).where(User.username == "minh"))
        db.session.commit()
    world.phone("hoa")
    stranger = app.test_client()
    for name in ("khong-co-ai", "hoa"):
        stranger.post("/login", data={"username": name, "password": "sai-mat-khau"})
    return world


def client_in(world: World, language: str, username: str | None = None) -> Any:
    client = world.app.test_client()
    client.set_cookie("lang", language)
    # The browser's language is not asked: a Vietnamese page for an English browser.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9" if language == "vi" else "vi"
    if username:
        resp = client.post("/login", data={"username": username, "password": f.PASSWORD})
        assert resp.status_code == 302
    return client


def _html(resp: Any, status: int = 200) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    return resp.get_data(as_text=True)


def _facts(world: World, language: str) -> str:
    with world.app.test_request_context(f"/?lang={language}"):
        a = db.session.scalars(select(Activity)).first()
        body = render_template("activities/_facts.html", a=a)
    return f'<html lang="{language}"><body>{body}</body></html>'


def _held_back(world: World, language: str) -> str:
    client = client_in(world, language)
    for _ in range(10):
        resp = client.post("/login", data={"username": "lan", "password": "sai"})
        if resp.status_code == 429:
            return _html(resp, 429)
    raise AssertionError("never held back")


Page = Callable[[World, str], str]
PAGES: dict[str, Page] = {
    "login": lambda w, lang: _html(client_in(w, lang).get("/login")),
    "login refused": lambda w, lang: _html(
        client_in(w, lang).post("/login", data={"username": "hoa", "password": "sai"}), 401
    ),
    "login, held back": _held_back,
    "login empty": lambda w, lang: _html(client_in(w, lang).post("/login", data={})),
    "home, member": lambda w, lang: _html(client_in(w, lang, "hoa").get("/")),
    "home, province": lambda w, lang: _html(client_in(w, lang, "tinh").get("/")),
    "password": lambda w, lang: _html(client_in(w, lang, "canbo").get("/password")),
    "password, mistakes": lambda w, lang: _html(
        client_in(w, lang, "canbo").post(
            "/password", data={"current": "", "new": "ngan", "again": "khac"}
        ),
        400,
    ),
    "password, wrong current": lambda w, lang: _html(
        client_in(w, lang, "canbo").post(
            "/password",
            data={"current": "sai-roi", "new": "mat-khau-moi-1", "again": "mat-khau-moi-1"},
        ),
        400,
    ),
    "password, changed": lambda w, lang: _html(
        client_in(w, lang, "canbo").post(
            "/password",
            data={"current": f.PASSWORD, "new": f.PASSWORD, "again": f.PASSWORD},
            follow_redirects=True,
        )
    ),
    "failed sign-ins": lambda w, lang: _html(client_in(w, lang, "quantri").get("/sign-ins?days=7")),
    "people": lambda w, lang: _html(client_in(w, lang, "canbo").get("/people/")),
    "people, nobody": lambda w, lang: _html(client_in(w, lang, "canbo").get("/people/?q=zzz")),
    "new person": lambda w, lang: _html(client_in(w, lang, "canbo").get("/people/new")),
    "new person, mistakes": lambda w, lang: _html(
        client_in(w, lang, "canbo").post(
            "/people/new", data={"username": "", "full_name": "", "password": "ngan"}
        )
    ),
    "person": lambda w, lang: _html(client_in(w, lang, "canbo").get(f"/people/{w.ids['hoa']}")),
    "person, enrolment code": lambda w, lang: _html(
        client_in(w, lang, "canbo").post(f"/people/{w.ids['hoa']}/enrolment-code")
    ),
    "person, deactivated": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/people/{w.ids['minh']}/deactivate", follow_redirects=True
        )
    ),
    "units": lambda w, lang: _html(client_in(w, lang, "tinh").get("/units/")),
    "unit with history": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/units/{w.ids['b1']}")
    ),
    "moved unit": lambda w, lang: _html(client_in(w, lang, "tinh").get(f"/units/{w.ids['b2']}")),
    "commune with a closed branch": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/units/{w.ids['other']}")
    ),
    "unit change refused": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/units/{w.ids['b1']}/close", data={"close-effective_on": "2026-11-01"}
        ),
        409,
    ),
    "unit form mistakes": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/units/{w.ids['b1']}/child",
            data={"child-code": "ab c", "child-name": "", "child-effective_on": "hôm qua"},
        ),
        400,
    ),
    "unit changed": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/units/{w.ids['b1']}/rename",
            data={"rename-name": "Chi đoàn xóm Nà Mạ", "rename-effective_on": "2026-11-01"},
            follow_redirects=True,
        )
    ),
    "not found": lambda w, lang: _html(client_in(w, lang, "canbo").get("/nowhere"), 404),
    "wrong method": lambda w, lang: _html(client_in(w, lang).get("/logout"), 405),
    "activity facts": _facts,
    # The reports and the review (issue 16 §3, the rest): a province, a commune, a branch.
    "report, province": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/reports/{w.ids['province']}?p=2026")
    ),
    "report, branch": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/reports/{w.ids['b1']}?p=2026-11")
    ),
    "report, wrong period": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/reports/{w.ids['province']}?p=2026-13"), 400
    ),
    "report, a quarter": lambda w, lang: _html(
        client_in(w, lang, "canbo").get(f"/reports/{w.ids['commune']}?p=2026-Q4&sort=name")
    ),
    "report's activity": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/reports/activity/{w.ids['activity']}")
    ),
    "completeness": lambda w, lang: _html(
        client_in(w, lang, "tinh").get(f"/reports/{w.ids['province']}/completeness?p=2026-11")
    ),
    "completeness, missing only": lambda w, lang: _html(
        client_in(w, lang, "canbo").get(
            f"/reports/{w.ids['commune']}/completeness?p=2026-10&only=missing"
        )
    ),
    "targets": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/reports/{w.ids['province']}/targets?p=2026",
            data={"type_id": "0", "each_kind": "branch", "activities": "2"},
            follow_redirects=True,
        )
    ),
    "targets, commune": lambda w, lang: _html(
        client_in(w, lang, "canbo").get(f"/reports/{w.ids['commune']}/targets?p=2026")
    ),
    "commendations": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/reports/{w.ids['province']}/commendations?p=2026",
            data={
                "kind": "member",
                "name": "Nông Thị Hoa",
                "reason": "Ngày thứ bảy tình nguyện",
                "activities": str(w.ids["activity"]),
            },
            follow_redirects=True,
        )
    ),
    "commendations, mistakes": lambda w, lang: _html(
        client_in(w, lang, "tinh").post(
            f"/reports/{w.ids['province']}/commendations?p=2026", data={"kind": "member"}
        )
    ),
    "review queue": lambda w, lang: _html(client_in(w, lang, "canbo").get("/review/")),
    "review queue, verified": lambda w, lang: _html(
        client_in(w, lang, "tinh").get("/review/?status=verified&sort=date")
    ),
    "review, one activity": lambda w, lang: _html(
        client_in(w, lang, "canbo").get(f"/review/{w.ids['activity']}")
    ),
    "review, nothing chosen": lambda w, lang: _html(
        client_in(w, lang, "canbo").post("/review/verify", data={}, follow_redirects=True)
    ),
    "refused entries": lambda w, lang: _html(client_in(w, lang, "canbo").get("/review/refused")),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_vietnamese_page_has_no_english(scene: World, page: str) -> None:
    html = PAGES[page](scene, "vi")
    lang, text = visible(html)
    assert lang == "vi"
    text = without(text, shown_once(html) + data_strings(scene.app))
    found = [e for e in ENGLISH if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text)]
    assert not found, f"English on the Vietnamese page {page!r}: {found}"
    ids, _ = _ids_and_strings("vi")
    known = words(" ".join(ids | _pairs(0) | set(MESSAGES.values()))) | SAME_IN_EVERY_LANGUAGE
    stray = sorted(words(text) - known)
    assert not stray, f"words on {page!r} that are neither data nor in the catalogue: {stray}"


@pytest.mark.parametrize("page", list(PAGES))
def test_an_english_page_has_no_vietnamese(scene: World, page: str) -> None:
    html = PAGES[page](scene, "en")
    lang, text = visible(html)
    assert lang == "en"
    text = without(text, shown_once(html) + data_strings(scene.app))
    stray = sorted(w for w in words(text) if VIETNAMESE_LETTERS.search(w))
    assert not stray, f"Vietnamese on the English page {page!r}: {stray}"
    ids, _ = _ids_and_strings("vi")
    vietnamese_only = words(" ".join(ids)) - words(" ".join(_ids_and_strings("en")[1]))
    leftovers = sorted(words(text) & {w for w in vietnamese_only if len(w) > 3})
    assert not leftovers, f"catalogue ids left untranslated on {page!r}: {leftovers}"


@pytest.mark.parametrize(
    ("table", "vietnamese", "english"),
    [
        ("activities", ["Trạng thái", "Đã gửi", "Tổng cộng"], ["Status", "Submitted", "Total"]),
        ("pillars", ["Trụ cột", "Trách nhiệm với", "Tổng cộng"], ["Pillar", "Responsibility"]),
        ("completeness", ["Tình trạng", "Chi đoàn"], ["State", "Branch", "Reported"]),
    ],
)
def test_an_export_stays_vietnamese_for_an_english_page(
    scene: World, table: str, vietnamese: list[str], english: list[str]
) -> None:
    """The page's table and the export share a spec (decision 185): the page in English
    must not make the export English."""
    client = client_in(scene, "en", "tinh")
    unit = scene.ids["province" if table == "pillars" else "b1"]
    page = client.get(f"/reports/{unit}?p=2026-11").get_data(as_text=True)
    assert '<html lang="en">' in page
    resp = client.get(f"/reports/{unit}/export.csv?p=2026-11&table={table}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    for said in vietnamese:
        assert said in text, said
    for said in english:
        assert not re.search(rf"(?<!\w){re.escape(said)}(?!\w)", text), said


def test_a_phase_is_named_in_the_page_language(scene: World) -> None:
    with scene.app.app_context():
        phase = db.session.scalars(select(Phase).order_by(Phase.starts_on)).first()
        assert phase is not None
        names = (phase.name_vi, phase.name_en)
    for language, (said, not_said) in (("vi", names), ("en", names[::-1])):
        page = client_in(scene, language, "tinh").get(f"/reports/{scene.ids['province']}?p=2026")
        text = visible(page.get_data(as_text=True))[1]
        assert said in text and not_said not in text, language
