"""One language per page: Vietnamese unless the person asked for English.

The message ids are the Vietnamese (decision 180): a string missing from a catalogue shows
in Vietnamese, never in English on a Vietnamese page. The language is the person's own
choice, made with ``?lang=`` and kept in a cookie; the browser's Accept-Language is not
asked, since the default install of a browser in a provincial office is often English
(decision 181). The catalogues are compiled when the app starts, if a ``.po`` is newer than
its ``.mo`` (decision 182).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, has_request_context, request, url_for
from flask_babel import Babel, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "lang"
#: Each language's name in itself: a switch is read by someone who does not read the other.
NAMES = {"vi": "Tiếng Việt", "en": "English"}
TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE_AGE = 400 * 24 * 3600  # browsers keep a cookie at most 400 days

log = logging.getLogger(__name__)


def _asked() -> str | None:
    wanted = request.args.get("lang", "")
    return wanted if wanted in LANGUAGES else None


def select_language() -> str:
    """``?lang=`` (remembered), else the cookie, else Vietnamese: never the browser's."""
    if not has_request_context():
        return DEFAULT
    return _asked() or _cookie() or DEFAULT


def _cookie() -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if value in LANGUAGES else None


def language() -> str:
    """The page's language code; Vietnamese outside a request (commands, workers)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def N_(message: str) -> str:
    """Marks a Vietnamese constant for the catalogue without translating it: the string
    is kept as it is (an export's heading stays Vietnamese) and translated where a page
    shows it, with ``_()`` on the value (decision 185)."""
    return message


def pick(pair: Sequence[str]) -> str:
    """The half of a ``(vietnamese, english)`` pair this page speaks: role, unit kind and
    status labels and the refusals' messages were written as pairs long before the
    catalogues, and the API sends both halves (decision 183)."""
    return pair[1] if language() == "en" else pair[0]


def switches() -> list[dict[str, str]]:
    """Links to this page in the other languages. A page answering a form (a POST) cannot
    be asked for again, so those link to the home page instead."""
    if request.method == "GET" and request.endpoint:
        # The query kept, but never what url_for reads as its own (``endpoint``,
        # ``_external``…) or the path's arguments: a query may hold anything, and the
        # link must not fail (a 500) or point elsewhere because of it.
        path_args = request.view_args or {}
        query = {
            k: v
            for k, v in request.args.items()
            if k not in path_args and k not in ("endpoint", "values") and not k.startswith("_")
        }
        args = {**path_args, **query}
        make = lambda code: url_for(request.endpoint, **{**args, "lang": code})  # noqa: E731
    else:
        make = lambda code: url_for("auth.home", lang=code)  # noqa: E731
    here = language()
    return [{"code": c, "name": NAMES[c], "url": make(c)} for c in LANGUAGES if c != here]


def _remember(response: Response) -> Response:
    """A ``?lang=`` the person chose holds for their next pages; the pages differ by the
    cookie, which caches must know."""
    if response.mimetype != "text/html" or request.path.startswith(("/api/", "/app")):
        # JSON, files, and the field app (its service worker caches its page, which has
        # strings of its own): no language of the dashboard's.
        return response
    wanted = _asked()
    if wanted and wanted != _cookie():
        response.set_cookie(
            COOKIE,
            wanted,
            max_age=COOKIE_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    response.vary.add("Cookie")
    return response


def _clean(variables: dict[str, Any]) -> dict[str, Any]:
    # The values a translation is filled with go through the same cleaning as every other
    # ``{{ … }}`` of a page (decision 110); Jinja's own newstyle gettext would skip it.
    shown = current_app.jinja_env.finalize
    return {k: shown(v) if shown else v for k, v in variables.items()}


@pass_context
def _template_gettext(context: Context, message: str, **variables: Any) -> str:
    text = get_translations().ugettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % _clean(variables) if variables else text


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    text = get_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % {"num": num, **_clean(variables)}


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write each ``.mo`` that is missing or older than its ``.po``; return those written.
    Written beside and renamed into place, so workers starting together never read half
    a file. A directory that cannot be written (a read-only install) leaves the pages in
    Vietnamese, the message ids, with a warning."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parts[-3])
            fd, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo-tmp")
            with os.fdopen(fd, "wb") as target:
                write_mo(target, catalogue)
            os.replace(temporary, mo)
        except OSError as exc:
            log.warning("cannot compile %s (%s): its pages show in Vietnamese", po, exc)
            continue
        written.append(mo)
    return written


class _WTFormsMessages:
    """WTForms ships no Vietnamese: its own messages (a missing field, a bad date, a choice
    not offered, an expired CSRF token) are looked up here, as Vietnamese message ids."""

    def gettext(self, string: str) -> str:
        return str(WTFORMS.get(string, string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = WTFORMS.get(singular if n == 1 else plural)
        return str(found) if found is not None else (singular if n == 1 else plural)


#: The WTForms and Flask-WTF messages the dashboard's forms can produce.
WTFORMS: dict[str, Any] = {
    "This field is required.": _l("Vui lòng điền mục này"),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ"),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ"),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l("Lựa chọn không hợp lệ"),
    "Not a valid date value.": _l("Ngày không hợp lệ"),
    "Not a valid integer value.": _l("Số không hợp lệ"),
    "Field cannot be longer than %(max)d character.": _l("Dài quá %(max)d ký tự"),
    "Field cannot be longer than %(max)d characters.": _l("Dài quá %(max)d ký tự"),
    "Field must be at least %(min)d character long.": _l("Cần ít nhất %(min)d ký tự"),
    "Field must be at least %(min)d characters long.": _l("Cần ít nhất %(min)d ký tự"),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Cần từ %(min)d đến %(max)d ký tự"
    ),
    "Invalid input.": _l("Dữ liệu không hợp lệ"),
    "The CSRF token is missing.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang"),
    "The CSRF token has expired.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang"),
    "The CSRF token is invalid.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang"),
    "The CSRF session token is missing.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang"),
    "The CSRF tokens do not match.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang"),
}
WTFORMS_MESSAGES = _WTFormsMessages()


def translated(message: str) -> str:
    """A form's message as the page speaks it (WTForms' own English included)."""
    return str(WTFORMS.get(message, message))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    compile_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0]))
    Babel(app, locale_selector=select_language)
    env = app.jinja_env
    env.globals.update(_=_template_gettext, gettext=_template_gettext)
    env.globals.update(ngettext=_template_ngettext, pick=pick, language=language)
    env.globals.update(language_switches=switches)
    app.after_request(_remember)
