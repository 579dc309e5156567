"""The summary report ("báo cáo sơ kết / tổng kết") of the demo province for the phase
2015–2017, opened with python-docx: its layout, its sections, and its figures checked
against the report services and the report page for the same unit, period and reader."""

from __future__ import annotations

import io
import re
from datetime import date

from docx import Document
from sqlalchemy import select

from server.extensions import db
from server.formatting import vn_number
from server.models import AuditEvent, Unit
from server.reports import periods, worker
from server.reports.completeness import completeness
from server.reports.document import SECTIONS
from server.reports.service import overview
from server.reports.targets import progress_for
from server.seed.demo import DEMO_PASSWORD

TODAY = date(2026, 11, 27)
PHASE = periods.phase("2015-2017", "Giai đoạn 2015 – 2017", date(2015, 1, 1), date(2017, 12, 31))


def _client(app, username: str):
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 302
    return client


def _table(doc, first_header: str, second: str | None = None):
    """The document's table whose heading row starts with these cells."""
    for t in doc.tables:
        cells = [c.text for c in t.rows[0].cells]
        if cells[0] == first_header and (second is None or cells[1] == second):
            return [[c.text for c in row.cells] for row in t.rows]
    raise AssertionError(f"no table headed {first_header}")


def _figures(fig) -> list[str]:
    return [vn_number(v) for v in (fig.activities, fig.verified, fig.members)] + [
        vn_number(fig.citizens),
        vn_number(fig.hours),
    ]


def test_the_summary_of_the_demo_province_for_a_phase(app, runner):
    result = runner.invoke(args=["seed-demo", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        worker.step(db.session())
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        db.session.remove()
    cb = units["CB"]
    staff = _client(app, "tinhdoan")
    docs = {}
    for query in ("p=phase:2015-2017", "from=2015-01-01&to=2017-12-31"):
        resp = staff.get(f"/reports/{cb}/summary.docx?{query}")
        assert resp.status_code == 200, query
        assert resp.headers["Content-Disposition"].endswith('.docx"')
        docs[query] = Document(io.BytesIO(resp.data))
    for doc in docs.values():
        paragraphs = [p.text for p in doc.paragraphs]
        left, right = (c.text for c in doc.tables[0].rows[0].cells)
        assert left.splitlines() == ["BCH ĐOÀN TỈNH CAO BẰNG", "***", "Số: ……-BC/TĐTN"]
        assert right.splitlines()[0] == "ĐOÀN TNCS HỒ CHÍ MINH"
        assert right.splitlines()[-1] == "Cao Bằng, ngày …… tháng …… năm ……"
        assert "BÁO CÁO" in paragraphs
        # The phase has ended: a final review ("tổng kết"), named by its years.
        assert "Tổng kết phong trào “3 trách nhiệm” giai đoạn 2015 – 2017" in paragraphs
        assert [p for p in paragraphs if p in SECTIONS] == list(SECTIONS)
        received, signer = (c.text for c in doc.tables[-1].rows[0].cells)
        assert received.startswith("Nơi nhận:\n- Ban Bí thư Trung ương Đoàn (để báo cáo);")
        assert signer.startswith("TM. BAN THƯỜNG VỤ TỈNH ĐOÀN\n……")

    doc = docs["p=phase:2015-2017"]
    paragraphs = [p.text for p in doc.paragraphs]
    with app.app_context():
        province = db.session.get(Unit, cb)
        ov = overview(province, PHASE, within=cb)
        done = completeness(province, PHASE, TODAY, within=cb)
        progress = progress_for(province, PHASE, within=cb)
        pillars = [(p.name_vi, _figures(f)) for p, f in ov.by_pillar]
        # The units' table also counts their activities without an evidence photo.
        children = [
            (r.unit.name, [*_figures(r.figures), vn_number(r.figures.unproven)])
            for r in ov.children
        ]
        by_child = [(r.unit.name, r.expected, r.reported, r.on_time) for r in done.children]
    assert ov.total.activities > 100 and len(children) > 5  # a real province's phase
    assert len(pillars) == 3 and len(by_child) > 5
    total = ov.total
    assert any(
        f"đã tổ chức {vn_number(total.activities)} hoạt động ({vn_number(total.verified)} hoạt "
        f"động đã được xác nhận), với {vn_number(total.members)} lượt đoàn viên" in p
        for p in paragraphs
    )
    rows = _table(doc, "Trụ cột", "Số hoạt động")
    assert [(r[0], r[1:]) for r in rows[1:-1]] == pillars
    assert rows[-1] == ["Tổng cộng", *_figures(total)]
    rows = _table(doc, "Đơn vị", "Số hoạt động")
    assert [(r[0], r[1:]) for r in rows[1:]][: len(children)] == children
    assert rows[-1] == ["Tổng cộng", *_figures(total), vn_number(total.unproven)]
    types = _table(doc, "Trụ cột", "Loại hoạt động")
    assert sum(int(r[2].replace(".", "")) for r in types[1:-1]) == total.activities
    rows = _table(doc, "Đơn vị", "Số chi đoàn")
    assert [(r[0], int(r[1]), int(r[2]), int(r[4])) for r in rows[1:-1]] == by_child
    assert f"{done.reported}/{done.expected} chi đoàn đã báo cáo" in " ".join(paragraphs)
    assert f"{done.on_time} chi đoàn báo cáo đúng hạn" in " ".join(paragraphs)
    if progress:
        assert len(_table(doc, "Chỉ tiêu")) == 1 + len(progress)
    else:
        assert "Không có chỉ tiêu nào cho kỳ này." in paragraphs
    notable = paragraphs[paragraphs.index(SECTIONS[5]) + 2 :]
    if total.verified:
        assert notable[0].startswith("- ") and "đoàn viên" in notable[0]

    # The report page shows the same totals for the same unit and period.
    page = staff.get(f"/reports/{cb}?p=phase:2015-2017").get_data(as_text=True)
    shown = re.search(r'id="total-activities">.*?class="value">([^<]*)<', page, re.S)
    assert shown and shown[1] == vn_number(total.activities)
    link = f'href="/reports/{cb}/summary.docx?p=phase:2015-2017" id="summary-link"'
    assert link in page
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "report.summary")
        ).all()
        assert [e["period"] for e in audit] == ["phase:2015-2017", "2015-01-01..2017-12-31"]

    # Scope, as for every export: a district's staff read their own unit, not another's.
    district = _client(app, "0912000001")  # Đoàn xã Trường Hà
    own = district.get(f"/reports/{units['CB-HQ-TRUONGHA']}/summary.docx?p=2016")
    assert own.status_code == 200
    left = Document(io.BytesIO(own.data)).tables[0].rows[0].cells[0].text
    assert left.splitlines()[:2] == ["BCH ĐOÀN TỈNH CAO BẰNG", "BCH ĐOÀN XÃ TRƯỜNG HÀ"]
    for code in ("CB", "CB-TK", "CB-TK-DAMTHUY"):
        assert district.get(f"/reports/{units[code]}/summary.docx?p=2016").status_code == 404
    member = _client(app, "0912000005")
    assert member.get(f"/reports/{units['CB-HQ-TRUONGHA-01']}/summary.docx").status_code == 404
    # Periods that cannot be read are a bad request, never a 500.
    for query in ("p=2016-13", "p=phase:nope", "from=0001-01-01&to=0001-01-05", "from=x&to=y"):
        resp = staff.get(f"/reports/{cb}/summary.docx?{query}")
        assert resp.status_code == 400, query
