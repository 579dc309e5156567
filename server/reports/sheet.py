"""A table as a report sheet a provincial office can print and file (issue 16 §1).

Laid out like the Union's formal documents (:mod:`server.reports.letterhead`): the header
block, the title naming the table, unit and period, who exported it and when, then the
table. Dates are dates (``dd/mm/yyyy``), empty cells are empty, figures are numbers and
their totals are ``=SUM(…)`` formulas over the rows above (decision 172). Printed, the
sheet fits the page's width, repeats the table's heading row on every page, and the
table has a filter and stays in view below its frozen heading.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..formatting import VIETNAM
from .letterhead import ORGANISATION

if TYPE_CHECKING:
    from .export import Table

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
WHOLE, TENTHS = "#,##0", "#,##0.0"
#: More columns than this print across the page (landscape).
PORTRAIT_COLUMNS = 6
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        # Excel has no time zones: the time as read in Vietnam.
        return value.astimezone(VIETNAM).replace(tzinfo=None) if value.tzinfo else value
    return value


def _column_format(values: list[Any]) -> str:
    tenths = any(isinstance(v, Decimal) and v.as_tuple().exponent < 0 for v in values)
    tenths = tenths or any(isinstance(v, float) and not v.is_integer() for v in values)
    return TENTHS if tenths else WHOLE


def _put(ws: Worksheet, row: int, col: int, value: Any, number_format: str) -> Any:
    cell = ws.cell(row=row, column=col)
    if _empty(value):
        return cell
    if isinstance(value, str):
        # Assigning a str starting with "=" would make openpyxl write a formula.
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = _cell_value(value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif _numeric(value):
            cell.number_format = number_format
    return cell


def _line(ws: Worksheet, row: int, first: int, last: int, text: str, **font: Any) -> None:
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first)
    cell.value = text
    cell.data_type = "s"
    cell.font = Font(**font)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _header_block(ws: Worksheet, table: Table, width: int) -> int:
    """The letterhead over the table's columns; returns the next free row."""
    head = table.letterhead
    if head is None:
        return 1
    split = max(1, width // 2)
    left = [*head.bodies, "***", head.number()]
    right = [ORGANISATION] + [""] * (len(left) - 2) + [head.dateline]
    for i, text in enumerate(left):
        bold = i == len(head.bodies) - 1
        _line(ws, 1 + i, 1, split, text, bold=bold)
    for i, text in enumerate(right):
        if text:
            first = split + 1 if width > 1 else 1
            _line(ws, 1 + i, first, max(first, width), text, bold=i == 0, italic=i > 0)
    return len(left) + 2


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    # Sheet names cannot hold []:*?/\ and are at most 31 characters.
    ws.title = "".join(c for c in table.title if c not in "[]:*?/\\")[:31] or "Bảng"
    width = max(2, len(table.headers))
    row = _header_block(ws, table, width)
    _line(ws, row, 1, width, table.title.upper(), bold=True, size=14)
    _line(ws, row + 1, 1, width, f"{table.unit_name} — {table.period_label}", bold=True)
    row += 2
    for note in table.notes:
        _line(ws, row, 1, width, note, italic=True)
        row += 1
    header_row = row + 1
    for col, name in enumerate(table.headers, start=1):
        cell = ws.cell(row=header_row, column=col)
        cell.value = name
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    columns = [[r[i] for r in table.rows] for i in range(len(table.headers))]
    formats = [_column_format(values) for values in columns]
    widths = [min(40, max(8, len(h) // 2 + 2)) for h in table.headers]
    first = header_row + 1
    for i, values in enumerate(table.rows):
        for col, value in enumerate(values, start=1):
            cell = _put(ws, first + i, col, value, formats[col - 1])
            cell.border = BOX
            if isinstance(value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            size = 12 if isinstance(value, date) else len(str(value)) if value else 0
            widths[col - 1] = max(widths[col - 1], min(50, size + 2))
    last = first + len(table.rows) - 1
    if table.totals is not None:
        total_row = last + 1
        for col, value in enumerate(table.totals, start=1):
            cell = _total(ws, total_row, col, value, columns[col - 1], first, last)
            if cell.value is not None and cell.data_type != "s":
                cell.number_format = formats[col - 1]
            cell.font = Font(bold=True)
            cell.border = BOX
    for col, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    _print_setup(ws, table, header_row, max(last, header_row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _total(
    ws: Worksheet, row: int, col: int, value: Any, values: list[Any], first: int, last: int
) -> Any:
    """A totals cell: ``=SUM`` of the rows above when it is a figure that they add up to,
    else the value itself (a count of targets, a label)."""
    cell = ws.cell(row=row, column=col)
    numbers = [v for v in values if not _empty(v)]
    if (
        _numeric(value)
        and last >= first
        and all(_numeric(v) for v in numbers)
        and sum(Decimal(str(v)) for v in numbers) == Decimal(str(value))
    ):
        letter = get_column_letter(col)
        cell.value = f"=SUM({letter}{first}:{letter}{last})"
        return cell
    return _put(ws, row, col, value, WHOLE)


def _print_setup(ws: Worksheet, table: Table, header_row: int, last_row: int) -> None:
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = (
        f"A{header_row}:{get_column_letter(max(1, len(table.headers)))}{max(last_row, header_row)}"
    )
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if len(table.headers) > PORTRAIT_COLUMNS else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "Trang &P / &N"
