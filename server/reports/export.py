"""Tables as Excel workbooks and CSV files, ready to send up.

Text a user typed is always written as text: a title starting with ``=`` is not a formula
in the workbook, and CSV cells that a spreadsheet would read as a formula are prefixed
with ``'`` (CWE-1236).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

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

    @property
    def heading(self) -> str:
        return f"{self.title} — {self.unit_name} — {self.period_label}"


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31]
    ws.cell(row=1, column=1, value=table.heading).font = Font(bold=True, size=14)
    row = 2
    for note in table.notes:
        _text(ws.cell(row=row, column=1), note)
        row += 1
    row += 1
    header_row = row
    for col, name in enumerate(table.headers, start=1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(h) for h in table.headers]
    body = list(table.rows) + ([table.totals] if table.totals is not None else [])
    for i, values in enumerate(body):
        row += 1
        is_total = table.totals is not None and i == len(body) - 1
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                _text(cell, value)
            else:
                cell.value = _number(value)
                if isinstance(value, Decimal):
                    cell.number_format = "0.0"
                elif isinstance(value, int):
                    cell.number_format = "#,##0"
            if is_total:
                cell.font = Font(bold=True)
            widths[col - 1] = max(widths[col - 1], min(60, len(str(value if value else ""))))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = max(8, width + 2)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(cell: Any, value: str) -> None:
    # Assigning a str starting with "=" would make openpyxl write a formula.
    cell.value = value
    cell.data_type = "s"


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, Decimal):
        return f"{value:.1f}"
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
}


def download(table: Table, fmt: str, name: str) -> Response:
    """The table as an attachment; ``name`` without extension, kept to safe characters."""
    body = to_xlsx(table) if fmt == "xlsx" else to_csv(table)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
