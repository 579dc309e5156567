"""The parts of a report table spec: a column, a spec, a listing (a spec with its rows).

The specs themselves are in :mod:`server.reports.tables`; these parts are what an export
(:mod:`server.reports.export`) and a page's macro read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from . import quantities
from .export import Table

Cell = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    #: The heading in the export, in full.
    header: str
    #: The cell of one row.
    value: Cell
    #: The heading on the page; None: in the export only.
    page: str | None = None
    #: The cell of the totals row, from the report's total (blank when None).
    total: Cell | None = None
    #: A figure: right-aligned and written the Vietnamese way on the page.
    num: bool = False
    #: The page's macro for the cell (in ``reports/_table.html``) when not its value.
    show: str | None = None
    #: A CSS class of the page's cell.
    css: str | None = None
    #: The export's cell when the page's text is not what a sheet needs (a date as a
    #: date, nothing as an empty cell); None: the same as the page's.
    sheet: Cell | None = None
    #: Export only: the columns this one becomes, made from the rows (one per quantity
    #: that occurs, summable); the page shows it as one column.
    spread: Callable[[Sequence[Any]], list[Column]] | None = None
    #: The page's ``sort=`` key of the column (None: not sortable); see ``sorting.py``.
    sort: str | None = None
    #: In the exports too (False: a reading aid of the page, such as a rate).
    export: bool = True

    @property
    def classes(self) -> str:
        """The page cell's CSS classes (figures right-aligned), for its heading, cells and
        totals alike."""
        return " ".join((["num"] if self.num else []) + ([self.css] if self.css else []))


@dataclass(frozen=True)
class Spec:
    #: The export's ``table=`` name.
    name: str
    title: str
    columns: tuple[Column, ...]
    #: The page repeats the totals row under its table.
    page_total: bool = False
    #: What the page says when there are no rows (None: the page has no such case).
    empty: str | None = None
    #: A CSS class of a row on the page.
    row_class: Cell | None = None

    @property
    def on_page(self) -> list[Column]:
        return [c for c in self.columns if c.page is not None]

    @property
    def exported(self) -> list[Column]:
        return [c for c in self.columns if c.export]

    def page_cells(self) -> list[tuple[Column, Markup]]:
        """Each page column with its cell's opening tag, made once per table: a province's
        completeness page has a thousand rows, and building the class and the translated
        label of every cell in the template was half its rendering time."""
        out = []
        for i, c in enumerate(self.on_page):
            attrs = Markup(' class="{}"').format(c.classes) if c.classes else Markup("")
            if i:  # the first cell names the row; the others are labelled on a phone
                attrs += Markup(' data-label="{}"').format(gettext(c.page))
            out.append((c, Markup("<td{}>").format(attrs)))
        return out


@dataclass
class Listing:
    """A report's table: its spec, its rows and what its totals row is made of."""

    spec: Spec
    rows: Sequence[Any]
    total: Any = None
    has_total: bool = True

    def totals(self) -> list[Any] | None:
        if not self.has_total:
            return None
        return [c.total(self.total) if c.total else None for c in self.exported()]

    def exported(self) -> list[Column]:
        """The export's columns: each exported one, a spread one replaced by its parts."""
        out: list[Column] = []
        for c in self.spec.exported:
            out.extend(c.spread(self.rows) if c.spread else [c])
        return out

    def table(self, unit_name: str, period_label: str) -> Table:
        """The export's table."""
        columns = self.exported()
        return Table(
            self.spec.title,
            unit_name,
            period_label,
            [c.header for c in columns],
            [[(c.sheet or c.value)(r) for c in columns] for r in self.rows],
            self.totals(),
        )


def quantity_columns(amounts: Cell) -> Callable[[Sequence[Any]], list[Column]]:
    """The export's columns of the quantities that occur in the rows (``amounts`` reads a
    row's ``[(spec, amount)]``): see :func:`server.reports.quantities.occurring`."""

    def spread(rows: Sequence[Any]) -> list[Column]:
        return [
            Column(header, read, total=total, num=True)
            for header, read, total in quantities.occurring(rows, amounts)
        ]

    return spread
