"""How dates, times and numbers read on the dashboard: Vietnam's time, dd/mm/yyyy, and
numbers written the Vietnamese way (1.234,5: a dot between thousands, a comma before
decimals)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

from schemas.text import INVISIBLE

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_datetime(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if value else "—"


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM).date()
    return value.strftime("%d/%m/%Y")


def vn_number(value: int | float | Decimal | None) -> str:
    """Written as staff write it in a report; decimals only where there are any."""
    if value is None:
        return "—"
    exact = Decimal(str(value))
    sign = "-" if exact < 0 else ""
    whole, _, fraction = f"{abs(exact).normalize():f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")


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
