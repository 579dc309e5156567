"""Reporting periods: a month, a quarter, a year, a movement phase, or any range of days.

A period travels in URLs as one short string (``p``), so a page can be bookmarked and sent
to a colleague: ``2026-11`` (month), ``2026-Q4`` (quarter), ``2026`` (year),
``phase:<code>`` (a phase of the catalogue), ``2026-01-01..2026-03-31`` (a range).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from ..i18n import N_, pick

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
#: A range longer than this is refused: reports run over the whole subtree.
MAX_DAYS = 366 * 10
#: The years a period may fall in, typed or picked: the same for ``p`` and for a range,
#: so every period has a previous one and a twelve-month trend that are real dates (a
#: range in year 1 or 9999 would step outside what ``date`` holds, a 500).
FIRST_YEAR, LAST_YEAR = 2000, 2100


#: ``p`` for a range of days typed in the period form's two date fields.
RANGE = "range"


class PeriodError(ValueError):
    """A period that cannot be read. ``str()`` is the Vietnamese message (logs, the
    exports); :meth:`shown` says it in the page's language (decision 186)."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params

    def shown(self) -> str:
        return _(self.message, **self.params)


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | phase | range
    starts_on: date
    ends_on: date  # inclusive
    label: str
    code: str  # the ``p`` string that gives this period back
    #: A phase's label in English, where its catalogue row has one.
    label_en: str | None = None

    @property
    def shown(self) -> str:
        """The label in the page's language; ``label`` stays Vietnamese for the exports
        and the summary document (decision 186)."""
        if self.kind == "month":
            return _(
                "Tháng %(month)s/%(year)s",
                month=f"{self.starts_on.month:02d}",
                year=self.starts_on.year,
            )
        if self.kind == "quarter":
            q = ROMAN[(self.starts_on.month - 1) // 3 + 1]
            return _("Quý %(quarter)s/%(year)s", quarter=q, year=self.starts_on.year)
        if self.kind == "year":
            return _("Năm %(year)s", year=self.starts_on.year)
        if self.kind == "phase":
            return pick((self.label, self.label_en or self.label))
        return self.label  # a range: dates only

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def previous(self) -> Period:
        """The period of equal length just before (the month, quarter or year before)."""
        if self.kind == "month":
            d = self.starts_on - timedelta(days=1)
            return month(d.year, d.month)
        if self.kind == "quarter":
            d = self.starts_on - timedelta(days=1)
            return quarter(d.year, (d.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.starts_on.year - 1)
        end = self.starts_on - timedelta(days=1)
        return span(end - timedelta(days=self.days - 1), end)

    def months(self) -> list[str]:
        """``YYYY-MM`` of every month the period touches, in order."""
        out, y, m = [], self.starts_on.year, self.starts_on.month
        while (y, m) <= (self.ends_on.year, self.ends_on.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def month(y: int, m: int) -> Period:
    last = monthrange(y, m)[1]
    return Period("month", date(y, m, 1), date(y, m, last), f"Tháng {m:02d}/{y}", f"{y}-{m:02d}")


def quarter(y: int, q: int) -> Period:
    start = date(y, 3 * (q - 1) + 1, 1)
    end_month = 3 * q
    end = date(y, end_month, monthrange(y, end_month)[1])
    return Period("quarter", start, end, f"Quý {ROMAN[q]}/{y}", f"{y}-Q{q}")


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31), f"Năm {y}", f"{y}")


def span(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError(N_("Ngày kết thúc phải sau ngày bắt đầu."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(N_("Khoảng thời gian dài quá 10 năm."))
    label = f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    return Period("range", start, end, label, f"{start.isoformat()}..{end.isoformat()}")


def phase(code: str, name: str, start: date, end: date, name_en: str | None = None) -> Period:
    """A phase of the catalogue; ``name`` (Vietnamese) makes the label of the exports."""
    years = f"({start.year}–{end.year})"
    english = f"{name_en} {years}" if name_en else None
    return Period("phase", start, end, f"{name} {years}", f"phase:{code}", english)


def _date(text: str) -> date:
    """A date as people write it here, dd/mm/yyyy (d/m/yyyy too), or ISO as older links
    and the machine-written ranges of ``p`` carry it."""
    try:
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise PeriodError(
        N_("Ngày không hợp lệ: %(text)s (viết theo ngày/tháng/năm, ví dụ 05/11/2026)."), text=text
    )


def between(start: str, end: str) -> Period:
    """The range typed in the period form's two fields."""
    if not (start and end):
        raise PeriodError(N_("Nhập cả ngày bắt đầu và ngày kết thúc (ngày/tháng/năm)."))
    return _within_years(_date(start), _date(end))


def _within_years(start: date, end: date) -> Period:
    if not (FIRST_YEAR <= start.year and end.year <= LAST_YEAR):
        raise PeriodError(
            N_("Chỉ xem được báo cáo từ năm %(first)s đến năm %(last)s."),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return span(start, end)


def parse(text: str | None, *, today: date, phases: dict[str, tuple[Any, ...]]) -> Period:
    """Read ``p``; no value means the current year."""
    text = (text or "").strip()
    if not text:
        return year(today.year)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12 and FIRST_YEAR <= y <= LAST_YEAR:
            return month(y, mo)
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        if FIRST_YEAR <= int(m[1]) <= LAST_YEAR:
            return quarter(int(m[1]), int(m[2]))
    elif re.fullmatch(r"\d{4}", text):
        if FIRST_YEAR <= int(text) <= LAST_YEAR:
            return year(int(text))
    elif text.startswith("phase:"):
        found = phases.get(text[6:])
        if found is None:
            raise PeriodError(N_("Không có giai đoạn này."))
        return phase(text[6:], *found)
    elif ".." in text:
        start, _, end = text.partition("..")
        return _within_years(_date(start), _date(end))
    raise PeriodError(N_("Không hiểu khoảng thời gian “%(text)s”."), text=text)


def choices(today: date, phases: dict[str, tuple[Any, ...]]) -> list[Period]:
    """The periods offered in the picker: recent months, quarters, years, every phase."""
    this_q = (today.month - 1) // 3 + 1
    out = [month(today.year, today.month)]
    prev = today.replace(day=1) - timedelta(days=1)
    out.append(month(prev.year, prev.month))
    out.append(quarter(today.year, this_q))
    out.append(quarter(today.year - 1, 4) if this_q == 1 else quarter(today.year, this_q - 1))
    out += [year(today.year), year(today.year - 1)]
    out += [phase(code, *v) for code, v in phases.items()]
    return out
