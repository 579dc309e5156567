"""How dates and times read on the dashboard: Vietnam's time, dd/mm/yyyy."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_datetime(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if value else "—"


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM).date()
    return value.strftime("%d/%m/%Y")


def register(app: Flask) -> None:
    app.add_template_filter(vn_datetime)
    app.add_template_filter(vn_date)
