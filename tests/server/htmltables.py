"""Reading a page's tables in tests, with the standard library's HTML parser: each row's
cells as text, grouped by ``<tbody>``, with the tag each cell was written in."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Cell:
    tag: str  # td | th
    text: str
    attrs: dict[str, str | None]


@dataclass
class Section:
    tag: str  # thead | tbody | tfoot
    attrs: dict[str, str | None]
    rows: list[list[Cell]] = field(default_factory=list)

    def texts(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]


class _Tables(HTMLParser):
    def __init__(self, wanted: str) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted, self.depth = wanted, 0
        self.sections: list[Section] = []
        self.cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            if self.depth or a.get("id") == self.wanted:
                self.depth += 1
            return
        if self.depth != 1:
            return
        if tag in ("thead", "tbody", "tfoot"):
            self.sections.append(Section(tag, a))
        elif tag == "tr":
            if not self.sections:
                self.sections.append(Section("tbody", {}))
            self.sections[-1].rows.append([])
        elif tag in ("td", "th"):
            self.cell = Cell(tag, "", a)
            self.sections[-1].rows[-1].append(self.cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in ("td", "th") and self.depth == 1 and self.cell is not None:
            self.cell.text = " ".join(self.cell.text.split())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and self.depth == 1:
            self.cell.text += data


def table(html: str, table_id: str) -> list[Section]:
    """The sections of the table with this id (empty when the page has none)."""
    p = _Tables(table_id)
    p.feed(html)
    return p.sections


def body_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of every row of every ``<tbody>``, in order."""
    return [r for s in table(html, table_id) if s.tag == "tbody" for r in s.texts()]
