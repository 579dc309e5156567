"""Tables as Excel report sheets and CSV files, ready to send up.

A :class:`Table` carries typed cells: a date is a ``date``, a time a ``datetime``, a
figure a number, nothing is ``None``. The workbook (:mod:`server.reports.sheet`) lays
them out as a report sheet to print and file; the CSV stays a plain grid for machines:
one header line, the rows, the totals row, dates in ISO 8601 (decision 171).

Text a user typed is always written as text: a title starting with ``=`` is not a formula
in the workbook, and CSV cells that a spreadsheet would read as a formula are prefixed
with ``'`` (CWE-1236).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response

from ..formatting import VIETNAM
from .letterhead import Letterhead
from .sheet import to_xlsx

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str  # e.g. "Tổng hợp theo đơn vị"
    unit_name: str
    period_label: str
    headers: list[str]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    #: The issuing body's header block (the exporting user's unit); None: none.
    letterhead: Letterhead | None = None

    @property
    def heading(self) -> str:
        return f"{self.title} — {self.unit_name} — {self.period_label}"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.1f}" if value.as_tuple().exponent < 0 else f"{value:f}"
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Vietnamese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.headers)
    for values in table.rows:
        writer.writerow([_csv_cell(v) for v in values])
    if table.totals is not None:
        writer.writerow([_csv_cell(v) for v in table.totals])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def attachment(body: bytes, fmt: str, name: str) -> Response:
    """``body`` as a download; ``name`` without extension, kept to safe characters."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


def download(table: Table, fmt: str, name: str) -> Response:
    """The table as an attachment: a report sheet (``xlsx``) or a CSV file."""
    body = to_xlsx(table) if fmt == "xlsx" else to_csv(table)
    return attachment(body, fmt, name)
