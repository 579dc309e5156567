"""Reading an exported report sheet the way a person does: the table under its header
block, and its totals as the formulas compute them."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

SUM = re.compile(r"=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)")


@dataclass
class Sheet:
    ws: Worksheet
    #: The rows above the table (header block, title, notes), as text, empty ones dropped.
    top: list[str]
    header_row: int
    headers: list[str]
    rows: list[list[Any]]
    #: The totals row as written (formulas as text); None: no totals row.
    raw_totals: list[Any] | None

    @property
    def totals(self) -> list[Any] | None:
        """The totals row as the spreadsheet shows it: each =SUM evaluated."""
        if self.raw_totals is None:
            return None
        return [self.evaluate(v) for v in self.raw_totals]

    def evaluate(self, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith("=")):
            return value
        m = SUM.fullmatch(value)
        assert m, f"an unexpected formula: {value}"
        col = column_index_from_string(m[1])
        assert m[1] == m[3]
        cells = [self.ws.cell(row=r, column=col).value for r in range(int(m[2]), int(m[4]) + 1)]
        return sum(v for v in cells if v is not None)

    def column(self, header: str) -> list[Any]:
        i = self.headers.index(header)
        return [r[i] for r in self.rows]


def read(data: bytes) -> Sheet:
    ws = load_workbook(io.BytesIO(data)).active
    ref = ws.auto_filter.ref
    assert ref, "every report sheet has a filter over its table"
    m = re.fullmatch(r"A(\d+):([A-Z]+)(\d+)", ref)
    assert m
    header_row, last = int(m[1]), int(m[3])
    width = column_index_from_string(m[2])

    def values(r: int) -> list[Any]:
        return [ws.cell(row=r, column=c).value for c in range(1, width + 1)]

    top = [
        str(c.value)
        for row in ws.iter_rows(max_row=header_row - 1)
        for c in row
        if c.value not in (None, "")
    ]
    rows = [values(r) for r in range(header_row + 1, last + 1)]
    after = values(last + 1)
    return Sheet(
        ws,
        top,
        header_row,
        values(header_row),
        rows,
        after if any(v is not None for v in after) else None,
    )
