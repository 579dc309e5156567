"""Consolidated figures checked against totals computed by hand on a small fixed tree.

Tỉnh P ─┬─ Xã A ─┬─ a1   (activities of every kind)
        │        └─ a2   (none at all)
        └─ Xã B ─── b1   (moved under A on 01/07/2026)
"""

from __future__ import annotations

import io
import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.activities.inserts import insert_activities
from server.extensions import db
from server.formatting import vn_number
from server.models import (
    Activity,
    ActivityType,
    AuditEvent,
    Evidence,
    Pillar,
    Unit,
    UnitKind,
    report_quantities,
    report_totals,
)
from server.models.types import utcnow
from server.reports import periods, worker
from server.reports.completeness import completeness
from server.reports.service import overview
from server.reports.totals import _aggregate, rebuild_all, refresh
from server.units.service import move_unit
from sync.changes import allocate
from tests import factories as f
from tests.server import sheets
from tests.world import signed_in

PHASES: dict = {}


@pytest.fixture
def tree(app):
    with app.app_context():
        thu_bay = f.activity_type("thu_bay_tinh_nguyen").id
        tinh_nguyen = f.activity_type("tinh_nguyen").id
        p = f.unit("P", None, UnitKind.PROVINCE, name="Tỉnh Đoàn P")
        a = f.unit("A", p, UnitKind.COMMUNE, name="Đoàn xã A")
        b = f.unit("B", p, UnitKind.COMMUNE, name="Đoàn xã B")
        a1 = f.unit("A1", a, name="Chi đoàn a1")
        f.unit("A2", a, name="Chi đoàn a2")
        b1 = f.unit("B1", b, name="Chi đoàn b1")

        def act(unit, on, status="submitted", **kw):
            kw.setdefault("type_id", thu_bay)
            return f.activity(unit, on, status=status, **kw)

        act(
            a1,
            date(2026, 2, 10),
            members_count=10,
            citizens_served=100,
            volunteer_hours=Decimal("20.0"),
            quantities={"dossiers_land": 5},
        )
        act(
            a1,
            date(2026, 3, 5),
            status="verified",
            type_id=tinh_nguyen,
            members_count=5,
            volunteer_hours=Decimal("10.0"),
            quantities={"trees": 30, "road_km": 1.5},
        )
        act(a1, date(2026, 3, 6), status="draft", members_count=99)
        act(a1, date(2026, 3, 7), status="returned", members_count=99)
        act(a1, date(2026, 4, 1), members_count=99, deleted_at=utcnow())
        act(a1, date(2025, 12, 31), members_count=1)
        moved = act(a1, date(2026, 6, 1), members_count=2)
        moved.starts_on = moved.ends_on = date(2025, 6, 1)  # its date corrected later
        act(
            b1,
            date(2026, 5, 1),
            members_count=3,
            citizens_served=7,
            volunteer_hours=Decimal("6.0"),
            quantities={"dossiers_civil_status": 2},
        )
        move_unit(b1, a, date(2026, 7, 1))
        act(
            b1,
            date(2026, 8, 1),
            members_count=4,
            citizens_served=8,
            volunteer_hours=Decimal("8.5"),
            quantities={"dossiers_civil_status": 3},
        )
        f.user("tinh", p, role="provincial_staff")
        f.user("huyen-a", a, role="unit_staff")
        f.user("bithu-b1", b1, role="branch_secretary")
        f.user("member-a1", a1)
        db.session.commit()
        return {u.code: u.id for u in db.session.scalars(select(Unit))}


def caught_up(app) -> None:
    """One step of the totals worker, as it runs between writes and reads (report pages
    never refresh the totals themselves)."""
    with app.app_context():
        worker.step(db.session())
        db.session.remove()


def figures(fig) -> tuple:
    return (fig.activities, fig.members, fig.citizens, fig.hours, fig.verified)


def test_figures_roll_up_the_tree_as_it_was_on_each_date(app, tree):
    with app.app_context():
        assert refresh(db.session()) > 0
        assert refresh(db.session()) == 0  # nothing changed since
        p = db.session.get(Unit, tree["P"])
        ov = overview(p, periods.year(2026))
        assert figures(ov.total) == (4, 22, 115, Decimal("44.5"), 1)
        assert figures(ov.previous) == (2, 3, 0, Decimal("0.0"), 0)
        rows = {r.unit.code: figures(r.figures) for r in ov.children}
        assert rows == {
            "A": (3, 19, 108, Decimal("38.5"), 1),
            "B": (1, 3, 7, Decimal("6.0"), 0),
        }
        by_type = {r.type.code: r for r in ov.by_type}
        assert set(by_type) == {"thu_bay_tinh_nguyen", "tinh_nguyen"}
        assert by_type["thu_bay_tinh_nguyen"].figures.activities == 3
        amounts = {s["code"]: a for r in ov.by_type for s, a in r.quantities if a}
        assert amounts == {
            "dossiers_land": Decimal(5),
            "dossiers_civil_status": Decimal(5),
            "trees": Decimal(30),
            "road_km": Decimal("1.5"),
        }
        assert [(pl.code, fig.activities) for pl, fig in ov.by_pillar] == [
            ("ban_than", 0),
            ("cong_viec", 0),
            ("cong_dong", 4),
        ]
        trend = {m: fig.activities for m, fig in ov.trend if fig.activities}
        assert trend == {"2026-02": 1, "2026-03": 1, "2026-05": 1, "2026-08": 1}
        assert len(ov.trend) == 12

        a = db.session.get(Unit, tree["A"])
        rows = {r.unit.code: figures(r.figures) for r in overview(a, periods.year(2026)).children}
        # b1 belongs to A from July: only its August activity counts here.
        assert rows == {
            "A1": (2, 15, 100, Decimal("30.0"), 1),
            "A2": (0, 0, 0, Decimal(0), 0),
            "B1": (1, 4, 8, Decimal("8.5"), 0),
        }
        first_half = overview(a, periods.span(date(2026, 1, 1), date(2026, 6, 30)))
        assert [r.unit.code for r in first_half.children] == ["A1", "A2"]


def test_periods_and_their_previous_of_equal_length():
    assert periods.month(2026, 1).previous().code == "2025-12"
    assert periods.quarter(2026, 1).previous().code == "2025-Q4"
    assert periods.year(2016).previous().label == "Năm 2015"
    phase = periods.phase("2015-2017", "Giai đoạn", date(2015, 1, 1), date(2017, 12, 31))
    before = phase.previous()
    assert (before.ends_on, before.days) == (date(2014, 12, 31), phase.days)
    today = date(2026, 11, 27)
    assert periods.parse("", today=today, phases={}).code == "2026"
    assert periods.parse("2026-02", today=today, phases={}).ends_on == date(2026, 2, 28)
    with pytest.raises(periods.PeriodError):
        periods.parse("2026-13", today=today, phases={})
    with pytest.raises(periods.PeriodError):
        periods.parse("2026-03-01..2026-02-01", today=today, phases={})
    assert periods.span(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=9)).days == 10


def test_the_page_and_the_excel_export_show_the_same_figures(app, tree):
    caught_up(app)
    staff = signed_in(app, "tinh")
    page = staff.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
    # Written the Vietnamese way: a comma before decimals (hours, and a type's 1.5 km).
    assert "Đoàn xã A" in page and ">44,5<" in page and "<strong>1,5</strong>" in page
    assert "44.5" not in page
    resp = staff.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=units")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    sheet = sheets.read(resp.data)
    assert "TỔNG HỢP THEO ĐƠN VỊ" in sheet.top and "Tỉnh Đoàn P — Năm 2026" in sheet.top
    assert sheet.headers == [
        "Đơn vị",
        "Số hoạt động",
        "Đã xác nhận",
        "Lượt đoàn viên tham gia",
        "Người dân được phục vụ",
        "Giờ tình nguyện",
        "Hoạt động chưa có ảnh minh chứng",
    ]
    assert sheet.rows == [
        ["Đoàn xã A", 3, 1, 19, 108, 38.5, 3],
        ["Đoàn xã B", 1, 0, 3, 7, 6.0, 1],
    ]
    assert sheet.totals == ["Tổng cộng", 4, 1, 22, 115, 44.5, 4]
    csv = staff.get(f"/reports/{tree['A1']}/export.csv?p=2026&table=activities")
    text = csv.data.decode("utf-8")
    assert text.startswith("\ufeffNgày,Đơn vị,")
    assert text.count("\r\n") == 1 + 2 + 1  # header, two activities, totals
    with app.app_context():
        exports = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "report.export")
        ).all()
    assert [(e["table"], e["format"]) for e in exports] == [
        ("units", "xlsx"),
        ("activities", "csv"),
    ]


def test_user_text_stays_text_in_exports(app, tree):
    with app.app_context():
        a1 = db.session.get(Unit, tree["A1"])
        f.activity(a1, date(2026, 9, 1), title='=HYPERLINK("http://x","bấm")', status="submitted")
        db.session.commit()
    staff = signed_in(app, "tinh")
    resp = staff.get(f"/reports/{tree['A1']}/export.xlsx?p=2026-09&table=activities")
    ws = load_workbook(io.BytesIO(resp.data)).active
    cell = next(c for row in ws.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","bấm")'
    csv = staff.get(f"/reports/{tree['A1']}/export.csv?p=2026-09&table=activities").data
    assert "'=HYPERLINK" in csv.decode("utf-8")


def test_a_reader_never_sees_figures_outside_their_subtree(app, tree):
    district = signed_in(app, "huyen-a")
    assert district.get(f"/reports/{tree['A']}?p=2026").status_code == 200
    for unit in ("P", "B"):
        assert district.get(f"/reports/{tree[unit]}?p=2026").status_code == 404
        for table in ("units", "types", "activities"):
            resp = district.get(f"/reports/{tree[unit]}/export.xlsx?p=2026&table={table}")
            assert resp.status_code == 404
    secretary = signed_in(app, "bithu-b1")
    assert secretary.get(f"/reports/{tree['B1']}?p=2026").status_code == 200
    assert secretary.get(f"/reports/{tree['A']}?p=2026").status_code == 404
    member = signed_in(app, "member-a1")
    assert member.get(f"/reports/{tree['A1']}?p=2026").status_code == 404
    # A period that cannot be read is said so, in Vietnamese.
    bad = district.get(f"/reports/{tree['A']}?p=2026-13")
    assert bad.status_code == 400 and "Không hiểu khoảng thời gian" in bad.get_data(as_text=True)


def test_totals_follow_every_later_change(app, tree):
    """Built once, then changed by the ORM (an edit that moves a date, a delete, a
    review decision) and by the tree (a move after the fact): the next read is exact."""
    with app.app_context():
        refresh(db.session())
        a = db.session.get(Unit, tree["A"])
        p = db.session.get(Unit, tree["P"])
        a1 = db.session.get(Unit, tree["A1"])
        acts = sorted(
            db.session.scalars(select(Activity).where(Activity.unit_id == a1.id)),
            key=lambda x: x.starts_on,
        )
        feb = next(x for x in acts if x.starts_on == date(2026, 2, 10))
        feb.starts_on = feb.ends_on = date(2027, 1, 5)  # out of 2026
        mar = next(x for x in acts if x.starts_on == date(2026, 3, 5))
        mar.deleted_at = utcnow()
        draft = next(x for x in acts if x.status == "draft")
        draft.status = "submitted"  # members 99, 06/03/2026
        db.session.commit()
        # Branch a2 moves from A to B on 01/10/2026, after an activity of its own.
        a2 = db.session.get(Unit, tree["A2"])
        f.activity(a2, date(2026, 11, 2), status="submitted", members_count=6)
        db.session.commit()
        refresh(db.session())  # so only the move itself can make the totals stale
        a2 = db.session.get(Unit, tree["A2"])
        move_unit(a2, db.session.get(Unit, tree["B"]), date(2026, 10, 1))
        db.session.commit()
        refresh(db.session())
        ov = overview(p, periods.year(2026))
        # 4 before; -Feb (10), -Mar (5), +draft (99), +a2 (6): 4 activities, 22-15+105.
        assert (ov.total.activities, ov.total.members) == (4, 112)
        rows = {r.unit.code: (r.figures.activities, r.figures.members) for r in ov.children}
        assert rows == {"A": (2, 103), "B": (2, 9)}
        rows = {
            r.unit.code: (r.figures.activities, r.figures.members)
            for r in overview(a, periods.year(2026)).children
        }
        assert rows == {"A1": (1, 99), "A2": (0, 0), "B1": (1, 4)}
        # Built again from nothing (as after a bulk load), the figures are the same.
        before = [
            (r.unit.code, figures(r.figures)) for r in overview(p, periods.year(2026)).children
        ]
        db.session.execute(delete(report_totals))
        db.session.execute(delete(report_quantities))
        db.session.commit()
        assert rebuild_all(db.session()) > 0
        after = [
            (r.unit.code, figures(r.figures)) for r in overview(p, periods.year(2026)).children
        ]
        assert after == before


def test_a_moved_branch_shows_the_same_figures_on_every_page(app, tree):
    """b1 moved from B to A on 01/07/2026 (one activity in May under B, one in August
    under A). A's staff see, for b1, only what it did under A — in A's table, on b1's own
    page and its exports, and on the completeness page — and the three agree."""
    district = signed_in(app, "huyen-a")
    with app.app_context():
        refresh(db.session())
        a = db.session.get(Unit, tree["A"])
        rows = {r.unit.code: r.figures.activities for r in overview(a, periods.year(2026)).children}
        assert rows["B1"] == 1
        b1 = db.session.get(Unit, tree["B1"])
        mine = overview(b1, periods.year(2026), within=tree["A"])
        assert figures(mine.total) == (1, 4, 8, Decimal("8.5"), 0)
        whole = overview(b1, periods.year(2026), within=tree["P"])
        assert whole.total.activities == 2  # the province's scope held b1 all year
    page = district.get(f"/reports/{tree['B1']}?p=2026").get_data(as_text=True)
    assert "01/08/2026" in page and "01/05/2026" not in page
    csv = district.get(f"/reports/{tree['B1']}/export.csv?p=2026&table=activities")
    text = csv.data.decode("utf-8")
    assert text.count("\r\n") == 1 + 1 + 1 and "01/05/2026" not in text
    types = district.get(f"/reports/{tree['B1']}/export.csv?p=2026&table=types")
    assert types.data.decode("utf-8").splitlines()[-1].startswith("Tổng cộng,,1,0,4,8,8.5")
    done = district.get(f"/reports/{tree['A']}/export.csv?p=2026&table=completeness")
    b1_row = next(
        line for line in done.data.decode("utf-8").splitlines() if line.startswith("Chi đoàn b1")
    )
    # Its parent (as the tree was at the year's end), then its activities under A.
    assert b1_row.split(",")[1:3] == ["Đoàn xã A", "1"]
    # The province's reader, on A's completeness page, counts b1's days under A too.
    with app.app_context():
        c = completeness(db.session.get(Unit, tree["A"]), periods.year(2026), date(2027, 2, 1))
        assert {b.unit.code: b.activities for b in c.branches} == {"A1": 2, "A2": 0, "B1": 1}
    province = signed_in(app, "tinh")
    page = province.get(f"/reports/{tree['B1']}?p=2026").get_data(as_text=True)
    assert "01/08/2026" in page and "01/05/2026" in page


def test_a_lower_units_page_says_whose_days_it_counts(app, tree):
    district = signed_in(app, "huyen-a")
    page = district.get(f"/reports/{tree['B1']}?p=2026").get_data(as_text=True)
    assert "vào những ngày đơn vị thuộc Đoàn xã A" in page
    own = district.get(f"/reports/{tree['A']}?p=2026").get_data(as_text=True)
    assert "vào những ngày đơn vị thuộc" not in own


def test_numbers_read_the_vietnamese_way():
    assert [vn_number(v) for v in (0, 7, 1234, 1234567, None)] == [
        "0",
        "7",
        "1.234",
        "1.234.567",
        "—",
    ]
    assert [vn_number(Decimal(v)) for v in ("1234.5", "48.50", "-1234.75", "1E+3", "0.00")] == [
        "1.234,5",
        "48,5",
        "-1.234,75",
        "1.000",
        "0",
    ]


def test_figures_split_by_pillar_on_the_page_and_in_exports(app, tree):
    with app.app_context():  # one activity of the "yourself" pillar besides the community's
        f.activity(
            db.session.get(Unit, tree["A1"]),
            date(2026, 9, 1),
            status="submitted",
            type_id=f.activity_type("clb_can_bo_tre").id,
            members_count=6,
            volunteer_hours=Decimal("3.0"),
        )
        db.session.commit()
        names = db.session.scalars(select(Pillar.name_vi).order_by(Pillar.sort_order)).all()
    caught_up(app)
    staff = signed_in(app, "tinh")
    page = staff.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
    assert 'id="pillars"' in page and "table=pillars" in page
    sheet = sheets.read(staff.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table=pillars").data)
    assert "TỔNG HỢP THEO TRỤ CỘT “3 TRÁCH NHIỆM”" in sheet.top
    assert sheet.rows + [sheet.totals] == [
        [names[0], 1, 0, 6, 0, 3.0],
        [names[1], 0, 0, 0, 0, 0],
        [names[2], 4, 1, 22, 115, 44.5],
        ["Tổng cộng", 5, 1, 28, 115, 47.5],
    ]
    csv = staff.get(f"/reports/{tree['P']}/export.csv?p=2026&table=pillars").data.decode()
    assert csv.startswith("\ufeffTrụ cột,") and "Tổng cộng,5,1,28,115,47.5" in csv


# -- deltas: exact after every kind of change --------------------------------------------


def _norm(value):
    # SQLite keeps numerics as floats: compare at the columns' scale.
    if isinstance(value, Decimal | float):
        return Decimal(str(value)).quantize(Decimal("0.1"))
    return value


def _rows(result) -> list[tuple]:
    return sorted(tuple(_norm(v) for v in r) for r in result)


def _contents() -> tuple[list, list]:
    """Every row of both tables as they are."""
    return tuple(_rows(db.session.execute(select(t))) for t in (report_totals, report_quantities))


def _from_scratch() -> tuple[list, list]:
    """Every row of both tables as ``rebuild_all`` would write them, without writing."""
    totals, quantities = _aggregate(db.session.connection(), None, None)
    return _rows(db.session.execute(totals)), _rows(db.session.execute(quantities))


def _exact(label: str = "") -> None:
    refresh(db.session())
    kept = _contents()
    assert kept == _from_scratch(), label
    # And the flag the totals count photos by is what the photos say (decision 191).
    photo = exists().where(
        Evidence.activity_id == Activity.id,
        Evidence.stored.is_(True),
        Evidence.deleted_at.is_(None),
    )
    wrong = db.session.scalars(select(Activity.id).where(Activity.proven != photo)).all()
    assert wrong == [], label
    db.session.rollback()


def _batch_insert(unit_id: int, on: date, type_id: int, **kw) -> uuid.UUID:
    """A new activity written the way a push writes its new records (one Core INSERT)."""
    now = utcnow()
    fields = {
        "title": "Theo lô",
        "place": "",
        "members_count": 0,
        "citizens_served": 0,
        "volunteer_hours": Decimal(0),
        "quantities": {},
        "description": "",
        "status": "submitted",
        "version": 1,
        "field_versions": {},
        "recorded_at_suspect": False,
    } | kw
    a = Activity(
        id=uuid.uuid4(),
        unit_id=unit_id,
        type_id=type_id,
        starts_on=on,
        ends_on=on,
        change_seq=allocate(db.session)[0],
        created_at=now,
        updated_at=now,
        **fields,
    )
    code = db.session.get(ActivityType, type_id).code
    insert_activities(db.session, [a], {type_id: code})
    return a.id


def test_deltas_keep_the_totals_exact_through_every_kind_of_change(app, tree):
    """Each change alone, committed, then refreshed: the tables equal what a rebuild from
    scratch writes, row for row. Objects are expired by every commit, so each edit also
    checks that the old value is known without having been read first."""
    with app.app_context():
        s = db.session
        _exact("built")
        thu_bay = f.activity_type("thu_bay_tinh_nguyen").id
        tinh_nguyen = f.activity_type("tinh_nguyen").id
        a1, b1, a2 = (s.get(Unit, tree[c]) for c in ("A1", "B1", "A2"))
        x_id = f.activity(
            a1,
            date(2026, 9, 1),
            status="submitted",
            members_count=3,
            volunteer_hours=Decimal("1.5"),
            quantities={"dossiers_land": 2},
        ).id
        s.commit()
        _exact("created through the ORM")
        y_id = _batch_insert(
            b1.id,
            date(2026, 9, 1),
            thu_bay,
            status="verified",
            members_count=4,
            citizens_served=2,
            volunteer_hours=Decimal("0.3"),
            quantities={"dossiers_land": 1, "road_km": 0.1},
        )
        _batch_insert(a1.id, date(2026, 9, 1), thu_bay, status="draft", members_count=50)
        s.commit()
        _exact("created by the batch INSERT")

        # Kept, so each commit expires them: a change is then made without the old value
        # having been read (``Session.get`` would load it again).
        kept = {"x": s.get(Activity, x_id), "y": s.get(Activity, y_id)}

        def x() -> Activity:
            return kept["x"]

        def y() -> Activity:
            return kept["y"]

        def dated(a: Activity, on: date) -> None:
            a.starts_on = a.ends_on = on

        changes = [
            ("members", lambda: setattr(x(), "members_count", 7)),
            ("citizens", lambda: setattr(x(), "citizens_served", 9)),
            ("hours", lambda: setattr(x(), "volunteer_hours", Decimal("2.2"))),
            ("quantities", lambda: setattr(x(), "quantities", {"dossiers_land": 4, "trees": 1})),
            ("a zero quantity", lambda: setattr(x(), "quantities", {"trees": 0})),
            ("no quantities", lambda: setattr(x(), "quantities", {})),
            ("verified", lambda: setattr(x(), "status", "verified")),
            ("returned: out", lambda: setattr(x(), "status", "returned")),
            ("submitted: in", lambda: setattr(x(), "status", "submitted")),
            ("draft: out", lambda: setattr(x(), "status", "draft")),
            ("a draft edited", lambda: setattr(x(), "members_count", 70)),
            ("submitted again", lambda: setattr(x(), "status", "submitted")),
            ("soft delete", lambda: setattr(x(), "deleted_at", utcnow())),
            ("a deleted one edited", lambda: setattr(x(), "members_count", 8)),
            ("undelete", lambda: setattr(x(), "deleted_at", None)),
            ("type", lambda: setattr(x(), "type_id", tinh_nguyen)),
            ("next day", lambda: dated(x(), date(2026, 9, 2))),
            ("next year", lambda: dated(x(), date(2027, 1, 3))),
            ("unit", lambda: setattr(x(), "unit_id", b1.id)),
            ("back before b1 moved", lambda: dated(x(), date(2026, 5, 1))),
            ("a batch row edited", lambda: setattr(y(), "members_count", 5)),
            ("a batch row's quantity to zero", lambda: setattr(y(), "quantities", {"road_km": 0})),
            ("only the title", lambda: setattr(y(), "title", "Tên mới")),
        ]
        for label, change in changes:
            change()
            s.commit()
            _exact(label)

        # Several changes in one transaction, over several flushes, and a hard delete.
        x().members_count = 11
        s.flush()
        x().members_count = 12
        x().status = "verified"
        y().unit_id = a2.id
        s.flush()
        dated(y(), date(2026, 9, 3))
        s.commit()
        _exact("several flushes")
        s.delete(y())
        s.commit()
        _exact("hard delete")
        # A flush the database refuses leaves nothing behind for the next one.
        x().members_count = -1
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        x().members_count = 13
        s.commit()
        _exact("after a refused flush")


def test_deltas_and_a_move_in_the_tree_together(app, tree):
    """Edits waiting as deltas when a branch moves: the days the move marks are
    recomputed and the deltas are not added to them on top; the others are added."""
    with app.app_context():
        s = db.session
        _exact("built")
        a1, a2 = s.get(Unit, tree["A1"]), s.get(Unit, tree["A2"])
        late = f.activity(a1, date(2026, 12, 5), status="submitted", members_count=5)
        early = f.activity(a1, date(2026, 10, 5), status="submitted", members_count=6)
        other = f.activity(a2, date(2026, 12, 5), status="verified", members_count=7)
        s.commit()
        _exact("three more")
        late_id, early_id, other_id = late.id, early.id, other.id
        # Waiting: a1's December activity moved to another day (no activity of a1 left on
        # 05/12, only a delta taking it out of A's row), its October one edited, a2's one
        # edited; a new one on a day after the move.
        moved = s.get(Activity, late_id)
        moved.starts_on = moved.ends_on = date(2026, 12, 20)
        s.get(Activity, early_id).members_count = 16
        s.get(Activity, other_id).members_count = 17
        f.activity(a1, date(2026, 12, 6), status="submitted", members_count=1)
        s.commit()
        move_unit(s.get(Unit, tree["A1"]), s.get(Unit, tree["B"]), date(2026, 11, 1))
        s.commit()
        # And edits after the move, before the refresh.
        s.get(Activity, other_id).status = "returned"
        s.get(Activity, late_id).members_count = 25
        s.commit()
        _exact("deltas, a move, more deltas")
        p = s.get(Unit, tree["P"])
        rows = {r.unit.code: r.figures.members for r in overview(p, periods.year(2026)).children}
        assert rows["B"] == 3 + 25 + 1  # b1 in May; a1 in December (B's from November)
        # And from scratch, the same.
        before = _contents()
        rebuild_all(s())
        assert _contents() == before


_DAYS = [date(2026, 6, 30), date(2026, 12, 31), date(2027, 3, 1)]
_STATUSES = ["draft", "submitted", "verified", "returned"]
_QUANTITIES = [{}, {"trees": 1}, {"trees": 0.1, "road_km": 2}, {"road_km": 0}]
_BRANCHES = ["A1", "A2", "B1"]

_create = st.tuples(
    st.just("create"),
    st.sampled_from(_BRANCHES),
    st.integers(0, 99),
    st.booleans(),  # through the batch INSERT
)
_edit = st.tuples(
    st.just("edit"),
    st.integers(0, 99),  # which activity
    st.sampled_from(
        [
            # The fields that move a contribution elsewhere, more often.
            *("unit_id", "starts_on") * 3,
            "type_id",
            "status",
            "deleted_at",
            "members_count",
            "citizens_served",
            "volunteer_hours",
            "quantities",
            "title",
        ]
    ),
    st.integers(0, 99),  # which value
    st.booleans(),  # committed now, or with the next change
)
#: A photo of one of the latest activities: added (stored, or declared and waiting for its
#: bytes), its bytes arriving, deleted, or restored (decision 191).
_photo = st.tuples(
    st.just("photo"),
    st.integers(0, 99),  # which activity
    st.sampled_from(["stored", "pending", "store", "delete", "restore"]),
    st.booleans(),  # committed now, or with the next change
)
#: A move of the branch of one of the example's new activities (else any branch).
_move = st.tuples(st.just("move"), st.integers(0, 9), st.sampled_from(["A", "B"]))
#: One example: new activities, refreshed; then edits, moves in the tree and more edits
#: waiting together when the next refresh comes.
_phases = st.tuples(
    st.lists(_create, max_size=3),
    st.lists(st.one_of(_edit, _photo), max_size=5),
    st.lists(_move, max_size=2),
    st.lists(st.one_of(_edit, _photo), max_size=3),
)


def _photo_step(s: Any, a: Activity, action: str) -> None:
    """What a push or an upload does to an activity's photos, through the ORM."""
    photos = s.scalars(select(Evidence).where(Evidence.activity_id == a.id)).all()
    if action in ("stored", "pending"):
        s.add(
            Evidence(
                id=uuid.uuid4(),
                activity_id=a.id,
                unit_id=a.unit_id,
                sha256=f"{len(photos):064x}",
                size=1,
                content_type="image/jpeg",
                width=1,
                height=1,
                stored=action == "stored",
                change_seq=allocate(s)[0],
            )
        )
        return
    for e in photos:
        if action == "store" and not e.stored and e.deleted_at is None:
            e.stored = True
            return
        if action == "delete" and e.deleted_at is None:
            e.deleted_at = utcnow()
            return
        if action == "restore" and e.deleted_at is not None:
            e.deleted_at = None
            return


def test_random_changes_keep_the_totals_exact(app, tree):
    """Random sequences of creations (both paths), edits of every field, photos added,
    stored, deleted and restored, moves in the tree and refreshes, on one database across
    examples: after every refresh, the tables equal a rebuild from scratch."""
    with app.app_context():
        s = db.session
        _exact("built")
        types = [f.activity_type("thu_bay_tinh_nguyen").id, f.activity_type("tinh_nguyen").id]
        moves = {"next": date(2026, 11, 1)}

        def value(field: str, n: int):
            return {
                "unit_id": lambda: tree[_BRANCHES[n % 3]],
                "starts_on": lambda: _DAYS[n % len(_DAYS)],
                "type_id": lambda: types[n % 2],
                "status": lambda: _STATUSES[n % 4],
                "deleted_at": lambda: utcnow() if n % 2 else None,
                "members_count": lambda: n,
                "citizens_served": lambda: n,
                "volunteer_hours": lambda: Decimal(n) / 10,
                "quantities": lambda: _QUANTITIES[n % len(_QUANTITIES)],
                "title": lambda: f"Tên {n}",
            }[field]()

        @settings(
            max_examples=200,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(phases=_phases)
        # A counted activity of a1 on 31/12 moved to another day, then a1 moved to B
        # from before 31/12, before a refresh: only a delta says A's 31/12 held it.
        @example(
            phases=(
                [("create", "A1", 1, False)],
                [("edit", 0, "starts_on", 0, True)],
                [("move", 0, "B")],
                [],
            )
        )
        def run(phases):
            creates, edits, moved, more = phases
            for _, code, n, batch in creates:
                fields = {
                    "status": ("submitted", "verified", "draft", "submitted")[n % 4],
                    "members_count": n,
                    "volunteer_hours": Decimal(n % 7) / 10,
                    "quantities": _QUANTITIES[n % len(_QUANTITIES)],
                }
                on, type_id = _DAYS[n % len(_DAYS)], types[n % 2]
                if batch:
                    _batch_insert(tree[code], on, type_id, **fields)
                else:
                    f.activity(s.get(Unit, tree[code]), on, type_id=type_id, **fields)
            s.commit()
            _exact(repr(phases))
            for step in [*edits, *[("move", *m[1:]) for m in moved], *more]:
                if step[0] == "photo":
                    _, i, action, now = step
                    ids = s.scalars(
                        select(Activity.id).order_by(Activity.created_at.desc()).limit(4)
                    ).all()
                    _photo_step(s, s.get(Activity, ids[i % len(ids)]), action)
                    if now:
                        s.commit()
                elif step[0] == "edit":
                    _, i, field, n, now = step
                    # One of the latest few: the pool grows across examples.
                    ids = s.scalars(
                        select(Activity.id).order_by(Activity.created_at.desc()).limit(4)
                    ).all()
                    a = s.get(Activity, ids[i % len(ids)])
                    new = value(field, n)
                    if field == "starts_on":
                        a.ends_on = new
                    setattr(a, field, new)
                    if now:
                        s.commit()
                else:
                    _, k, parent = step
                    code = creates[k % len(creates)][1] if creates else _BRANCHES[k % 3]
                    unit = s.get(Unit, tree[code])
                    if unit.parent_id != tree[parent]:
                        move_unit(unit, s.get(Unit, tree[parent]), moves["next"])
                        moves["next"] += timedelta(days=1)
                    s.commit()
            s.commit()
            _exact(repr(phases))

        run()
        before = _contents()
        rebuild_all(s())
        assert _contents() == before


@pytest.mark.postgresql_only
def test_a_refresh_waits_for_writers_of_deltas_only_when_it_recomputes(app, tree):
    """On PostgreSQL a refresh that recomputes pairs from the activities must see the
    same changes as the deltas it consumes, so it waits for a writer whose deltas are not
    committed yet; one that only applies deltas does not wait for anybody."""
    with app.app_context():
        refresh(db.session())
        engine = db.engine
        a1 = db.session.get(Unit, tree["A1"])
        f.activity(a1, date(2026, 9, 9), status="submitted", members_count=1)
        db.session.commit()

        def refreshed_while_a_writer_waits() -> bool:
            writer = Session(engine)
            counted = writer.scalars(
                select(Activity).where(Activity.unit_id == a1.id, Activity.status == "verified")
            ).first()
            counted.members_count += 100
            writer.flush()  # its delta is written, not committed
            done = threading.Event()

            def run() -> None:
                with app.app_context():
                    refresh(db.session())
                    db.session.remove()
                done.set()

            thread = threading.Thread(target=run)
            thread.start()
            finished_first = done.wait(1.5)
            writer.commit()
            writer.close()
            thread.join(10)
            assert done.is_set()
            return finished_first

        assert refreshed_while_a_writer_waits()  # deltas only: nobody waits
        # a1, with an activity in December, moves under B from 01/12: pairs to recompute.
        f.activity(a1, date(2026, 12, 5), status="submitted", members_count=2)
        db.session.commit()
        move_unit(
            db.session.get(Unit, tree["A1"]), db.session.get(Unit, tree["B"]), date(2026, 12, 1)
        )
        db.session.commit()
        assert not refreshed_while_a_writer_waits()  # pairs to recompute: it waited
        _exact("after both")


def test_one_activity_opens_for_every_reader_whose_scope_held_it_that_day(app, tree):
    with app.app_context():
        by_day = {
            a.starts_on: a.id
            for a in db.session.scalars(
                select(Activity).where(Activity.unit_id == tree["B1"], Activity.title != "")
            )
        }
        may, august = by_day[date(2026, 5, 1)], by_day[date(2026, 8, 1)]
        f.user("bithu-a1", db.session.get(Unit, tree["A1"]), role="branch_secretary")
        db.session.commit()
    district = signed_in(app, "huyen-a")
    page = district.get(f"/reports/{tree['B1']}?p=2026").get_data(as_text=True)
    assert f"/reports/activity/{august}" in page  # the drill-down's last step
    shown = district.get(f"/reports/activity/{august}")
    assert shown.status_code == 200 and "01/08/2026" in shown.get_data(as_text=True)
    assert f"/review/{august}" in shown.get_data(as_text=True)  # A's staff review it
    # b1's May activity was B's: not A's staff's to open, whatever the link.
    assert district.get(f"/reports/activity/{may}").status_code == 404
    assert signed_in(app, "tinh").get(f"/reports/activity/{may}").status_code == 200
    # A secretary reads their own branch's activities (no review link), not others'.
    secretary = signed_in(app, "bithu-b1")
    own = secretary.get(f"/reports/activity/{august}")
    assert own.status_code == 200 and "/review/" not in own.get_data(as_text=True)
    assert signed_in(app, "bithu-a1").get(f"/reports/activity/{august}").status_code == 404
    assert signed_in(app, "member-a1").get(f"/reports/activity/{august}").status_code == 404


@pytest.mark.postgresql_only
def test_a_photo_deleted_while_another_is_stored_leaves_the_activity_proven(app, tree):
    """Two writers of one activity's photos at once: one stores photo 1 (not committed
    yet), the other deletes photo 2. The second waits for the first's lock on the
    activity and then sees photo 1 stored, so the activity stays proven (had it read the
    photos without waiting, it would have found none and cleared the flag)."""
    with app.app_context():
        a1 = db.session.get(Unit, tree["A1"])
        act = f.activity(a1, date(2026, 9, 10), status="submitted")
        db.session.commit()
        one, two = uuid.uuid4(), uuid.uuid4()
        for photo_id, stored in ((one, False), (two, True)):
            db.session.add(
                Evidence(
                    id=photo_id,
                    activity_id=act.id,
                    unit_id=a1.id,
                    sha256=photo_id.hex * 2,
                    size=1,
                    content_type="image/jpeg",
                    width=1,
                    height=1,
                    stored=stored,
                    change_seq=allocate(db.session)[0],
                )
            )
        db.session.commit()
        assert db.session.get(Activity, act.id).proven is True
        engine = db.engine
        first = Session(engine)
        first.get(Evidence, one).stored = True
        first.flush()  # settled: holds the activity's lock, not committed
        done = threading.Event()

        def delete_two() -> None:
            second = Session(engine)
            second.get(Evidence, two).deleted_at = utcnow()
            second.commit()
            second.close()
            done.set()

        thread = threading.Thread(target=delete_two)
        thread.start()
        assert not done.wait(1.0)  # waiting for the activity
        first.commit()
        first.close()
        thread.join(10)
        assert done.is_set()
        db.session.expire_all()
        assert db.session.get(Activity, act.id).proven is True
        _exact("after both")
