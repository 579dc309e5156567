"""How dates, times and numbers read on the dashboard: Vietnam's time, through Babel's
locale data rather than patterns written by hand.

``vn_date``, ``vn_datetime`` and ``vn_number`` always write Vietnamese (dd/mm/yyyy, 1.234,5):
exports and sentences put together in Python are Vietnamese documents whoever asks. The
filters ``date``, ``datetime``, ``number`` and ``percent`` write the page's language
(decision 184); the ``vn_*`` filters stay for the templates not yet converted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from flask import Flask
from markupsafe import Markup

from schemas.text import INVISIBLE

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
NOTHING = "—"

#: Day first in both languages, the month spelt out in English: 04/12/2026 on a
#: Vietnamese page, 4 Dec 2026 on an English one, never the American 12/4/26.
DATE = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
DATETIME = {"vi": "HH:mm dd/MM/yyyy", "en": "HH:mm, d MMM yyyy"}

Number = int | float | Decimal


def _language(language: str | None) -> str:
    if language is None:
        from .i18n import language as current

        return current()
    return language


def _day(value: date | datetime) -> date:
    return value.astimezone(VIETNAM).date() if isinstance(value, datetime) else value


def day(value: date | datetime | None, language: str | None = None) -> str:
    """A date in Vietnam's calendar, in ``language`` (the page's by default)."""
    if value is None:
        return NOTHING
    lang = _language(language)
    return format_date(_day(value), DATE[lang], locale=lang)


def moment(value: datetime | None, language: str | None = None) -> str:
    """A time and date as the clock read in Vietnam."""
    if value is None:
        return NOTHING
    lang = _language(language)
    return format_datetime(value.astimezone(VIETNAM), DATETIME[lang], locale=lang)


def number(value: Number | None, language: str | None = None) -> str:
    """Written as staff write it in a report; decimals only where there are any, all of
    them (a volunteer hour of 0,25 is not rounded)."""
    if value is None:
        return NOTHING
    exact = Decimal(str(value)).normalize()
    return format_decimal(exact, locale=_language(language), decimal_quantization=False)


def percent(value: Number | None, language: str | None = None, digits: int = 0) -> str:
    """A share (0.25 is 25 %) with ``digits`` decimals, the locale's way."""
    if value is None:
        return NOTHING
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    lang = _language(language)
    return format_percent(value, pattern, locale=lang)


def vn_datetime(value: datetime | None) -> str:
    return moment(value, "vi")


def vn_date(value: date | datetime | None) -> str:
    return day(value, "vi")


def vn_number(value: Number | None) -> str:
    return number(value, "vi")


def shown(value: object) -> object:
    """Every ``{{ … }}`` of a page, before it is escaped: text stored before the names were
    cleaned (decision 110) still cannot reorder or hide what surrounds it on the page."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return INVISIBLE.sub("", value)
    return value


def register(app: Flask) -> None:
    app.jinja_env.finalize = shown
    app.add_template_filter(vn_datetime)
    app.add_template_filter(vn_date)
    app.add_template_filter(vn_number)
    app.add_template_filter(day, "date")
    app.add_template_filter(moment, "datetime")
    app.add_template_filter(number)
    app.add_template_filter(percent)
