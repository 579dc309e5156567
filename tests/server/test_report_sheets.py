"""Every export the dashboard offers, opened as a person opens it: a report sheet with the
issuing body's header block, a title, dates as dates, empty cells empty, totals as
formulas, quantities as numeric columns, and a page set up for printing (issue 16 §1)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from server.extensions import db
from server.models import Unit, UnitKind
from server.reports.letterhead import body_name, letterhead_of, place_of
from tests.server import sheets
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in

TABLES = ("units", "types", "pillars", "activities", "targets", "commendations", "completeness")


def _with_target_and_nomination(app, tree) -> None:  # noqa: F811
    province = signed_in(app, "tinh")
    resp = province.post(
        f"/reports/{tree['P']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    assert resp.status_code == 302
    resp = province.post(
        f"/reports/{tree['P']}/commendations?p=2026",
        data={"kind": "model", "name": "Mô hình Ngày thứ bảy", "reason": "Tốt"},
    )
    assert resp.status_code == 302


def _exports(app, tree) -> dict[str, bytes]:  # noqa: F811
    province = signed_in(app, "tinh")
    out = {}
    for table in TABLES:
        unit = tree["A1"] if table == "activities" else tree["P"]
        resp = province.get(f"/reports/{unit}/export.xlsx?p=2026&table={table}")
        assert resp.status_code == 200, table
        out[table] = resp.data
    resp = province.get("/review/export.xlsx")
    assert resp.status_code == 200
    out["review"] = resp.data
    return out


def test_every_export_is_a_report_sheet(app, tree):  # noqa: F811
    caught_up(app)
    _with_target_and_nomination(app, tree)
    caught_up(app)
    for name, data in _exports(app, tree).items():
        sheet = sheets.read(data)
        ws, h = sheet.ws, sheet.header_row
        # The header block: the exporter's unit on the left, the Union on the right.
        assert ws["A1"].value == "BCH ĐOÀN TỈNH P", name
        assert "ĐOÀN TNCS HỒ CHÍ MINH" in sheet.top, name
        assert "***" in sheet.top and "Số: ……/TĐTN-……" in sheet.top, name
        assert "P, ngày …… tháng …… năm ……" in sheet.top, name
        assert any(line.startswith("Xuất lúc ") and "Người dùng tinh" in line for line in sheet.top)
        # The title names the table; the line under it the unit and the period.
        assert any(line.isupper() and len(line) > 10 for line in sheet.top[5:]), name
        assert any(" — " in line for line in sheet.top), name
        # Printing: fit to width, the heading row on every page, landscape when wide.
        setup = ws.page_setup
        wide = len(sheet.headers) > 6
        assert setup.orientation == ("landscape" if wide else "portrait"), name
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.print_title_rows == f"${h}:${h}", name
        assert ws.freeze_panes == f"A{h + 1}", name
        assert ws.auto_filter.ref.startswith(f"A{h}:"), name
        # Nothing is written as a dash: an empty cell is empty.
        for row in sheet.rows + [sheet.raw_totals or []]:
            assert "—" not in row and "" not in row, (name, row)
        # Totals: each figure a formula over exactly the table's rows.
        if sheet.raw_totals is not None and sheet.rows:
            for i, value in enumerate(sheet.raw_totals):
                column = [r[i] for r in sheet.rows if r[i] is not None]
                if column and all(isinstance(v, int | float) for v in column):
                    if isinstance(value, str) and value.startswith("="):
                        first, last = h + 1, h + len(sheet.rows)
                        assert value.endswith(f"{first}:{value[5]}{last})"), (name, value)


def test_dates_are_dates_and_quantities_are_summable_columns(app, tree):  # noqa: F811
    caught_up(app)
    province = signed_in(app, "tinh")
    activities = sheets.read(
        province.get(f"/reports/{tree['A1']}/export.xlsx?p=2026&table=activities").data
    )
    first = activities.header_row + 1
    cell = activities.ws.cell(row=first, column=1)
    assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert activities.column("Ngày") == [datetime(2026, 2, 10), datetime(2026, 3, 5)]
    # Never recorded on a phone (made on the server): empty, not "—".
    assert activities.column("Ghi trên điện thoại lúc") == [None, None]
    assert activities.column("Hồ sơ đất đai (hồ sơ)") == [5, None]
    assert activities.column("Cây xanh trồng mới (cây)") == [None, 30]
    assert activities.column("Đường giao thông làm mới, sửa chữa (km)") == [None, 1.5]
    totals = dict(zip(activities.headers, activities.totals, strict=True))
    assert totals["Đoàn viên"] == 15 and totals["Giờ tình nguyện"] == 30
    assert totals["Cây xanh trồng mới (cây)"] == 30

    types = sheets.read(province.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=types").data)
    assert "Số liệu riêng" not in types.headers  # one text column before; numbers now
    totals = dict(zip(types.headers, types.totals, strict=True))
    # The same sums as the service's (test_reports' hand-computed figures).
    assert totals["Hồ sơ đất đai (hồ sơ)"] == 5 and totals["Hồ sơ hộ tịch (hồ sơ)"] == 5
    assert totals["Đường giao thông làm mới, sửa chữa (km)"] == 1.5
    assert totals["Số hoạt động"] == 4 and totals["Giờ tình nguyện"] == 44.5
    raw = dict(zip(types.headers, types.raw_totals, strict=True))
    assert raw["Hồ sơ đất đai (hồ sơ)"].startswith("=SUM(")
    # A type that does not ask for a quantity leaves its cell empty.
    volunteer = next(r for r in types.rows if r[1] == "Hoạt động tình nguyện")
    assert volunteer[types.headers.index("Hồ sơ đất đai (hồ sơ)")] is None

    done = sheets.read(
        province.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=completeness").data
    )
    typed = [
        done.ws.cell(row=done.header_row + 1 + i, column=done.headers.index(h) + 1)
        for i in range(len(done.rows))
        for h in ("Đến máy chủ sớm nhất",)
    ]
    assert any(c.value is not None for c in typed)
    assert all(c.is_date for c in typed if c.value is not None)


def test_the_review_export_has_a_period_and_an_export_line(app, tree):  # noqa: F811
    province = signed_in(app, "tinh")
    sheet = sheets.read(province.get("/review/export.xlsx").data)
    assert "HOẠT ĐỘNG ĐÃ GỬI" in sheet.top
    # Its period: the span of the activities it lists, by their dates.
    assert any("hoạt động từ 01/06/2025 đến 01/08/2026" in line for line in sheet.top)
    assert any(line.startswith("Trạng thái: Đã gửi; Đơn vị: Tỉnh Đoàn P") for line in sheet.top)
    assert all(isinstance(d, datetime) for d in sheet.column("Ngày"))
    assert sheet.totals[sheet.headers.index("Đoàn viên")] == sum(sheet.column("Đoàn viên"))
    assert sheet.raw_totals[sheet.headers.index("Đoàn viên")].startswith("=SUM(")
    assert "Hồ sơ hộ tịch (hồ sơ)" in sheet.headers


def test_csv_stays_a_plain_grid(app, tree):  # noqa: F811
    caught_up(app)
    province = signed_in(app, "tinh")
    text = province.get(f"/reports/{tree['A1']}/export.csv?p=2026&table=activities").data
    lines = text.decode("utf-8").splitlines()
    assert lines[0].startswith("\ufeffNgày,Đơn vị,") and "Hồ sơ đất đai (hồ sơ)" in lines[0]
    assert lines[1].startswith("2026-02-10,Chi đoàn a1,") and "—" not in text.decode()
    # …, status, recorded at, evidence photos (none here), then the quantities.
    assert lines[-1].startswith("Tổng cộng,,,2 hoạt động,,15,100,30.0,,,0,5,30,1.5")
    assert len(lines) == 1 + 2 + 1  # no header block, title or notes in a CSV


def test_the_issuing_body_is_the_exporters_unit_under_its_superior(app, tree):  # noqa: F811
    caught_up(app)
    district = signed_in(app, "huyen-a")
    sheet = sheets.read(district.get(f"/reports/{tree['A1']}/export.xlsx?p=2026").data)
    assert [sheet.ws["A1"].value, sheet.ws["A2"].value] == ["BCH ĐOÀN TỈNH P", "BCH ĐOÀN XÃ A"]
    assert "Số: ……/ĐTN-……" in sheet.top


@pytest.mark.parametrize(
    ("name", "kind", "body", "initials"),
    [
        ("Tỉnh Đoàn Cao Bằng", UnitKind.PROVINCE, "BCH ĐOÀN TỈNH CAO BẰNG", "TĐTN"),
        ("Huyện Đoàn Hà Quảng", UnitKind.DISTRICT, "BCH ĐOÀN HUYỆN HÀ QUẢNG", "HĐTN"),
        ("Thành Đoàn Cao Bằng", UnitKind.DISTRICT, "BCH ĐOÀN THÀNH PHỐ CAO BẰNG", "TĐTN"),
        ("Đoàn Khối các Cơ quan tỉnh", UnitKind.BLOC, "BCH ĐOÀN KHỐI CÁC CƠ QUAN TỈNH", "ĐTN"),
        ("Đoàn cơ sở Sở Tư pháp", UnitKind.GRASSROOTS, "BCH ĐOÀN SỞ TƯ PHÁP", "ĐTN"),
        ("Chi đoàn xóm Nà Thỏ", UnitKind.BRANCH, "BCH CHI ĐOÀN XÓM NÀ THỎ", "ĐTN"),
    ],
)
def test_a_units_name_as_the_issuing_body(ctx, name, kind, body, initials):
    from tests import factories as f

    province = f.unit("CBX", None, UnitKind.PROVINCE, name="Tỉnh Đoàn Cao Bằng")
    unit = province if kind == UnitKind.PROVINCE else f.unit("U", province, kind, name=name)
    db.session.flush()
    assert body_name(unit) == body
    head = letterhead_of(unit)
    assert head.bodies[-1] == body and head.initials == initials
    assert head.dateline == "Cao Bằng, ngày …… tháng …… năm ……"
    assert place_of(db.session.get(Unit, province.id)) == "Cao Bằng"


def test_the_only_formulas_are_the_totals(app, tree):  # noqa: F811
    caught_up(app)
    province = signed_in(app, "tinh")
    data = province.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=units").data
    ws = load_workbook(io.BytesIO(data)).active
    sheet = sheets.read(data)
    formulas = [(c.row, c.value) for row in ws.iter_rows() for c in row if c.data_type == "f"]
    total_row = sheet.header_row + len(sheet.rows) + 1
    assert formulas and all(r == total_row and v.startswith("=SUM(") for r, v in formulas)
    # The last: activities without an evidence photo (none has one in this tree).
    assert sheet.totals[1:] == [4, 1, 22, 115, 44.5, 4]
