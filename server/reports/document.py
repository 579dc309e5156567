"""A summary report as a Word document staff edit, sign and file (issue 16 §1).

The layout is the Union's formal one (Notice 36 TB/TĐTN-BPT): the header block, the title,
the body, "Nơi nhận" and the signature block, with blanks for the number, the date and
the signer. The figures are the report page's (:mod:`server.reports.summary`), written
the Vietnamese way; every table of figures has its totals row as on the page.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table as DocxTable

from ..formatting import vn_date, vn_number
from ..models import NOMINATION_KINDS
from . import tables
from .letterhead import BLANK, ORGANISATION
from .summary import Summary

FONT = "Times New Roman"
MOVEMENT = "phong trào “3 trách nhiệm”"
#: Section headings, in order; a test finds the sections by them.
SECTIONS = (
    "I. KẾT QUẢ CHUNG",
    "II. KẾT QUẢ THEO TRỤ CỘT VÀ LOẠI HOẠT ĐỘNG",
    "III. KẾT QUẢ THEO ĐƠN VỊ TRỰC THUỘC",
    "IV. TÌNH HÌNH BÁO CÁO: ĐẦY ĐỦ VÀ ĐÚNG HẠN",
    "V. CHỈ TIÊU VÀ KẾT QUẢ",
    "VI. HOẠT ĐỘNG TIÊU BIỂU, ĐỀ NGHỊ BIỂU DƯƠNG",
    "VII. ĐÁNH GIÁ CHUNG VÀ PHƯƠNG HƯỚNG",
)


def text(value: Any) -> str:
    """A cell as the page writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float):
        return vn_number(value)
    if isinstance(value, date | datetime):
        return vn_date(value)
    return str(value)


def _setup(doc: DocumentType) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(3)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)


def _para(
    where: Any,
    value: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int | None = None,
    center: bool = False,
) -> Any:
    p = where.add_paragraph()
    run = p.add_run(value)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _cell_lines(cell: Any, lines: list[tuple[str, dict]]) -> None:
    cell.paragraphs[0].text = ""
    for i, (value, style) in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        run = p.add_run(value)
        run.bold = style.get("bold", False)
        run.italic = style.get("italic", False)
        run.font.size = Pt(style.get("size", 13))
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT if style.get("left") else WD_ALIGN_PARAGRAPH.CENTER


def _header(doc: DocumentType, s: Summary) -> None:
    head = s.letterhead
    block = doc.add_table(rows=1, cols=2)
    last = len(head.bodies) - 1
    left = [(b, {"bold": i == last, "size": 13}) for i, b in enumerate(head.bodies)]
    left += [("***", {}), (head.number("BC"), {"size": 13})]
    _cell_lines(block.cell(0, 0), left)
    right = [(ORGANISATION, {"bold": True, "size": 14})] + [("", {})] * (len(left) - 2)
    right.append((head.dateline, {"italic": True}))
    _cell_lines(block.cell(0, 1), right)


def _grid(doc: DocumentType, headers: list[str], rows: list[list[Any]], totals: Any) -> DocxTable:
    body = [[text(v) for v in r] for r in rows]
    if totals is not None:
        body.append([text(v) for v in totals])
    t = doc.add_table(rows=1 + len(body), cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, name in enumerate(headers):
        _cell_lines(t.cell(0, col), [(name, {"bold": True, "size": 11})])
    for r, values in enumerate(body, start=1):
        is_total = totals is not None and r == len(body)
        for col, value in enumerate(values):
            numeric = isinstance((rows[r - 1] if not is_total else totals)[col], int | Decimal)
            _cell_lines(
                t.cell(r, col), [(value, {"size": 11, "bold": is_total, "left": not numeric})]
            )
    return t


def _listing(doc: DocumentType, s: Summary, listing: tables.Listing) -> DocxTable:
    """A report's table as on the page and in its export (without its spread columns)."""
    columns = [c for c in listing.spec.exported if c.spread is None]
    rows = [[(c.sheet or c.value)(r) for c in columns] for r in listing.rows]
    totals = None
    if listing.has_total:
        totals = [c.total(listing.total) if c.total else None for c in columns]
    return _grid(doc, [c.header for c in columns], rows, totals)


def _overall(doc: DocumentType, s: Summary) -> None:
    t, before = s.overview.total, s.overview.previous
    _para(
        doc,
        f"Trong {s.span}, các đơn vị đã tổ chức {text(t.activities)} hoạt động "
        f"({text(t.verified)} hoạt động đã được xác nhận), với {text(t.members)} lượt đoàn "
        f"viên tham gia, phục vụ {text(t.citizens)} lượt người dân, "
        f"{text(t.hours)} giờ tình nguyện.",
    )
    _para(
        doc,
        f"Kỳ trước ({s.period.previous().label}): {text(before.activities)} hoạt động, "
        f"{text(before.members)} lượt đoàn viên, {text(before.citizens)} lượt người dân, "
        f"{text(before.hours)} giờ tình nguyện.",
    )
    _grid(
        doc,
        ["Chỉ số", "Kỳ này", "Kỳ trước"],
        [
            ["Số hoạt động", t.activities, before.activities],
            ["Đã xác nhận", t.verified, before.verified],
            ["Lượt đoàn viên tham gia", t.members, before.members],
            ["Người dân được phục vụ", t.citizens, before.citizens],
            ["Giờ tình nguyện", t.hours, before.hours],
        ],
        None,
    )


def _quantities(doc: DocumentType, s: Summary) -> None:
    spread = next(c for c in s.types.spec.columns if c.spread is not None).spread
    assert spread is not None
    parts = [f"{c.header}: {text(c.total(None))}" for c in spread(s.types.rows)]
    if parts:
        _para(doc, "Trong đó: " + "; ".join(parts) + ".")


def _completeness(doc: DocumentType, s: Summary) -> None:
    c = s.completeness
    rate = round(100 * c.reported / c.expected) if c.expected else 0
    timely = round(100 * c.on_time / c.expected) if c.expected else 0
    _para(
        doc,
        f"{text(c.reported)}/{text(c.expected)} chi đoàn đã báo cáo ({rate}%), trong đó "
        f"{text(c.on_time)} chi đoàn báo cáo đúng hạn ({timely}%); hạn báo cáo: "
        f"{vn_date(c.due)}.",
    )
    rows = [
        [
            r.unit.name,
            r.expected,
            r.reported,
            f"{round(100 * r.reported / r.expected) if r.expected else 0}%",
            r.on_time,
        ]
        for r in c.children
    ]
    if rows and c.children[0].unit.id != s.unit.id:
        totals = ["Tổng cộng", c.expected, c.reported, f"{rate}%", c.on_time]
        headers = ["Đơn vị", "Số chi đoàn", "Đã báo cáo", "Tỷ lệ", "Đúng hạn"]
        _grid(doc, headers, rows, totals)


def _targets(doc: DocumentType, s: Summary) -> None:
    if not s.progress:
        _para(doc, "Không có chỉ tiêu nào cho kỳ này.", italic=True)
        return
    rows = [
        [
            tables.TARGETS.columns[0].value((p, None)),
            p.done,
            p.goal,
            f"{p.percent}%",
            "Đạt" if p.met else "Chưa đạt",
        ]
        for p in s.progress
    ]
    _grid(doc, ["Chỉ tiêu", "Kết quả", "Cần đạt", "Tỷ lệ", "Đánh giá"], rows, None)


def _notable(doc: DocumentType, s: Summary) -> None:
    _para(doc, "1. Hoạt động tiêu biểu (đã xác nhận, nhiều người tham gia nhất):", bold=True)
    if not s.notable:
        _para(doc, "Chưa có hoạt động nào được xác nhận trong kỳ.", italic=True)
    for a in s.notable:
        _para(
            doc,
            f"- {a.title} ({a.type.name_vi}), {a.unit.name}, ngày {vn_date(a.starts_on)}: "
            f"{text(a.members_count)} đoàn viên, {text(a.citizens_served)} người dân.",
        )
    _para(doc, "2. Cá nhân, mô hình được đề nghị biểu dương:", bold=True)
    if not s.nominations:
        _para(doc, "Chưa có đề nghị nào trong kỳ.", italic=True)
    for n in s.nominations:
        kind = NOMINATION_KINDS[n.kind][0]
        _para(doc, f"- {kind}: {n.name} ({n.unit.name}) — {n.reason}")


def _closing(doc: DocumentType, s: Summary) -> None:
    head = s.letterhead
    block = doc.add_table(rows=1, cols=2)
    received = [("Nơi nhận:", {"bold": True, "italic": True, "size": 12, "left": True})]
    received.append((f"- {head.reports_to} (để báo cáo);", {"size": 11, "left": True}))
    if s.overview.children:
        received.append(("- Các đơn vị trực thuộc;", {"size": 11, "left": True}))
    received.append(("- Lưu VT.", {"size": 11, "left": True}))
    _cell_lines(block.cell(0, 0), received)
    _cell_lines(
        block.cell(0, 1),
        [
            (head.signs_for, {"bold": True}),
            (BLANK * 3, {"bold": True}),
            ("(Ký, ghi rõ họ tên)", {"italic": True, "size": 12}),
            ("", {}),
            ("", {}),
            (BLANK * 4, {"bold": True}),
        ],
    )


def to_docx(s: Summary) -> bytes:
    doc = Document()
    _setup(doc)
    _header(doc, s)
    _para(doc, "BÁO CÁO", bold=True, size=15, center=True).paragraph_format.space_before = Pt(18)
    _para(doc, f"{s.kind} {MOVEMENT} {s.span}", bold=True, size=14, center=True)
    _para(doc, f"của {s.unit.name}", italic=True, center=True)
    _para(doc, "-----", center=True)
    # A phase's own name ("Giai đoạn 2015 – 2017 (2015–2017)") when the title does not say it.
    named = f" ({s.period.label})" if s.period.kind == "phase" else ""
    _para(
        doc,
        f"Thực hiện {MOVEMENT}, {s.unit.name} báo cáo {s.kind.lower()} kết quả {s.span}"
        f"{named} như sau. Số liệu tổng hợp từ Sổ Đoàn, chỉ tính hoạt động đã gửi hoặc đã "
        f"xác nhận ({s.exported}).",
    )
    _para(doc, SECTIONS[0], bold=True)
    _overall(doc, s)
    _para(doc, SECTIONS[1], bold=True)
    _para(doc, "1. Theo trụ cột “3 trách nhiệm”", bold=True)
    _listing(doc, s, s.pillars)
    _para(doc, "2. Theo loại hoạt động", bold=True)
    _listing(doc, s, s.types)
    _quantities(doc, s)
    _para(doc, SECTIONS[2], bold=True)
    if s.overview.children:
        _listing(doc, s, s.units)
    else:
        _para(doc, f"{s.unit.name} không có đơn vị trực thuộc.", italic=True)
    _para(doc, SECTIONS[3], bold=True)
    _completeness(doc, s)
    _para(doc, SECTIONS[4], bold=True)
    _targets(doc, s)
    _para(doc, SECTIONS[5], bold=True)
    _notable(doc, s)
    _para(doc, SECTIONS[6], bold=True)
    for label in ("1. Ưu điểm:", "2. Hạn chế, nguyên nhân:", "3. Phương hướng, đề xuất:"):
        _para(doc, label, bold=True)
        _para(doc, BLANK * 12)
    _closing(doc, s)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
