"""Who has reported, who on time — by the phone's clock or the server's — and who only
has not synced. Checked against a small tree whose answers are worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Activity, AuditEvent, Device, ReportingSchedule, Unit, UnitKind
from server.reports import periods
from server.reports.completeness import completeness
from tests import factories as f
from tests.server import htmltables
from tests.world import activity_record, signed_in

OCTOBER = periods.month(2026, 10)
TODAY = date(2026, 11, 27)


def at(y, m, d, h=9) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def branches(app):
    with app.app_context():
        p = f.unit("P", None, UnitKind.PROVINCE, name="Tỉnh Đoàn P")
        a = f.unit("A", p, UnitKind.COMMUNE, name="Đoàn xã A")
        b = f.unit("B", p, UnitKind.COMMUNE, name="Đoàn xã B")
        units = {
            code: f.unit(code, a, name=f"Chi đoàn {code}") for code in ("a1", "a2", "a3", "a4")
        }
        units["b1"] = f.unit("b1", b, name="Chi đoàn b1")
        closed = f.unit("a5", a, name="Chi đoàn a5 (đã giải thể)")
        closed.closed_on = date(2026, 9, 1)

        def entry(unit, typed, received, **kw):
            # Created as submitted on the phone: its typing and its arrival are the
            # submission's (as the sync collection stamps them).
            act = f.activity(unit, date(2026, 10, 5), status="submitted", recorded_at=typed, **kw)
            act.created_at = act.submitted_at = received
            act.submitted_typed_at = None if kw.get("recorded_at_suspect") else typed
            return act

        entry(units["a1"], at(2026, 11, 18), at(2026, 11, 25))  # typed in time, sent late
        entry(units["a2"], at(2026, 11, 22), at(2026, 11, 23))  # late both ways
        entry(units["b1"], at(2001, 1, 1), at(2026, 11, 24), recorded_at_suspect=True)
        f.activity(units["a4"], date(2026, 10, 3), status="draft")  # not sent up: not counted

        def phone(unit, seen, pending=0, since=None):
            person = f.user(f"m-{unit.code}", unit)
            db.session.add(
                Device(
                    id=uuid.uuid4(),
                    user_id=person.id,
                    name="Điện thoại",
                    token_hash=uuid.uuid4().hex,
                    last_seen_at=seen,
                    pending_count=pending,
                    pending_since=since,
                )
            )

        phone(units["a3"], at(2026, 11, 20), pending=3, since=at(2026, 10, 28))
        phone(units["a4"], at(2026, 10, 1))
        f.user("canbo-a", a, role="unit_staff")
        f.user("canbo-b", b, role="unit_staff")
        f.user("tinh", p, role="provincial_staff")
        f.user("bithu-a1", units["a1"], role="branch_secretary")
        db.session.commit()
        return {u.code: u.id for u in db.session.scalars(select(Unit))}


def test_each_branch_is_reported_on_time_late_waiting_or_silent(app, branches):
    with app.app_context():
        c = completeness(db.session.get(Unit, branches["P"]), OCTOBER, TODAY)
        assert c.due == date(2026, 11, 20)
        states = {b.unit.code: b.state for b in c.branches}
        assert states == {
            "a1": "on_time",  # typed on the phone by the due date
            "a2": "late",
            "a3": "waiting",  # three entries wait on the phone
            "a4": "silent",  # its phone last synced on 01/10
            "b1": "late",  # the phone said 2001: the server's time decides
        }
        assert (c.expected, c.reported, c.on_time) == (5, 3, 1)
        rows = {r.unit.code: (r.expected, r.reported, r.on_time) for r in c.children}
        assert rows == {"A": (4, 2, 1), "B": (1, 1, 0)}
        # Not reported first: the page is a list of whom to call.
        assert [b.unit.code for b in c.branches][:2] == ["a3", "a4"]
        before_due = completeness(db.session.get(Unit, branches["A"]), OCTOBER, date(2026, 11, 5))
        assert {b.unit.code: b.state for b in before_due.branches}["a3"] == "waiting"


def test_staff_set_the_due_day_for_their_subtree(app, branches):
    staff = signed_in(app, "canbo-a")
    page = staff.get(f"/reports/{branches['A']}/completeness?p=2026-10").get_data(as_text=True)
    assert "20/11/2026" in page and "mặc định" in page
    resp = staff.post(
        f"/reports/{branches['A']}/schedule?p=2026-10",
        data={"frequency": "monthly", "due_day": "25"},
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "25/11/2026" in page and "do Đoàn xã A đặt" in page
    with app.app_context():
        c = completeness(db.session.get(Unit, branches["P"]), OCTOBER, TODAY)
        # P itself keeps the default; A's branches are judged by A's day.
        assert c.due == date(2026, 11, 20)
        a = completeness(db.session.get(Unit, branches["A"]), OCTOBER, TODAY)
        assert {b.unit.code: b.state for b in a.branches}["a2"] == "on_time"
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "reporting_schedule.set")
        ).all() == ["reporting_schedule.set"]
    bad = staff.post(
        f"/reports/{branches['A']}/schedule",
        data={"frequency": "monthly", "due_day": "31"},
        follow_redirects=True,
    )
    assert "Ngày từ 1 đến 28" in bad.get_data(as_text=True)


def test_completeness_stays_within_scope(app, branches):
    other = signed_in(app, "canbo-b")
    assert other.get(f"/reports/{branches['A']}/completeness?p=2026-10").status_code == 404
    assert (
        other.get(f"/reports/{branches['A']}/export.xlsx?p=2026-10&table=completeness").status_code
        == 404
    )
    assert (
        other.post(
            f"/reports/{branches['A']}/schedule", data={"frequency": "monthly", "due_day": "5"}
        ).status_code
        == 404
    )
    secretary = signed_in(app, "bithu-a1")
    assert secretary.get(f"/reports/{branches['a1']}/completeness?p=2026-10").status_code == 200
    assert (
        secretary.post(
            f"/reports/{branches['a1']}/schedule", data={"frequency": "monthly", "due_day": "5"}
        ).status_code
        == 404
    )
    province = signed_in(app, "tinh")
    csv = province.get(f"/reports/{branches['P']}/export.csv?p=2026-10&table=completeness")
    lines = csv.data.decode("utf-8").splitlines()
    # The parent beside each branch, as on the page: branch names repeat across communes.
    assert lines[0].startswith("\ufeffChi đoàn,Đơn vị cấp trên,Số hoạt động,Tình trạng")
    assert any(line.startswith("Chi đoàn b1,Đoàn xã B,1,") for line in lines)
    assert len(lines) == 1 + 5 + 1


def test_the_page_opens_on_the_last_period_that_ended(app, branches):
    staff = signed_in(app, "canbo-a")
    resp = staff.get(f"/reports/{branches['A']}/completeness")
    assert resp.status_code == 302 and "p=20" in resp.headers["Location"]
    staff.post(
        f"/reports/{branches['A']}/schedule", data={"frequency": "quarterly", "due_day": "10"}
    )
    resp = staff.get(f"/reports/{branches['A']}/completeness")
    assert "-Q" in resp.headers["Location"]


def test_timeliness_is_judged_by_the_submission_not_the_first_draft(app, world):
    """Through the real push: a draft typed on 05/10 and submitted by a later edit after
    the due date is late; an entry created submitted, typed before the due date, is on
    time however late it reached the server."""
    ids = world.ids
    hoa, minh = world.phone("hoa"), world.phone("minh")
    draft_id, sent_id = uuid.uuid4(), uuid.uuid4()
    october = {"starts_on": "2026-10-05", "ends_on": "2026-10-05"}
    early = activity_record(ids["b1"], recorded_at="2026-10-05T09:00:00+07:00", **october)
    hoa.push(hoa.mutation("upsert", draft_id, early))
    submitted = {**early, "status": "submitted"}
    answer = hoa.push(
        hoa.mutation("upsert", draft_id, submitted, base_version=1, changed=["status"])
    )
    assert answer["results"][0]["status"] == "applied"
    typed_in_time = activity_record(
        ids["b2"], status="submitted", recorded_at="2026-11-18T20:00:00+07:00", **october
    )
    minh.push(minh.mutation("upsert", sent_id, typed_in_time))
    with app.app_context():
        for activity_id in (draft_id, sent_id):
            a = db.session.get(Activity, activity_id)
            assert a.submitted_at is not None and a.submitted_at > at(2026, 11, 20)
        assert db.session.get(Activity, draft_id).submitted_typed_at is None
        assert db.session.get(Activity, sent_id).submitted_typed_at == at(2026, 11, 18, 13)
        c = completeness(db.session.get(Unit, ids["commune"]), OCTOBER, TODAY)
        assert {b.unit.id: b.state for b in c.branches} == {
            ids["b1"]: "late",  # drafted on 05/10, submitted after the 20/11
            ids["b2"]: "on_time",
        }


def test_each_branch_is_judged_by_the_nearest_schedule_above_it(app, branches):
    """A's branches are due on the 25th (A's own setting), B's on the province's 20th —
    on the province's page as on A's."""
    with app.app_context():
        for code, day in (("P", 20), ("A", 25)):
            db.session.add(
                ReportingSchedule(unit_id=branches[code], frequency="monthly", due_day=day)
            )
        db.session.commit()
        c = completeness(db.session.get(Unit, branches["P"]), OCTOBER, TODAY)
        assert c.due == date(2026, 11, 20)
        dues = {b.unit.code: b.due for b in c.branches}
        assert dues["a2"] == date(2026, 11, 25) and dues["b1"] == date(2026, 11, 20)
        states = {b.unit.code: b.state for b in c.branches}
        assert states["a2"] == "on_time"  # typed 22/11, received 23/11: by A's 25th
        assert states["b1"] == "late"  # received 24/11, after the province's 20th
        assert (c.reported, c.on_time) == (3, 2)
        a2 = next(b for b in c.branches if b.unit.code == "a2")
        assert a2.label == "Đã báo cáo đúng hạn (hạn 25/11/2026)"
    province = signed_in(app, "tinh")
    csv = province.get(f"/reports/{branches['P']}/export.csv?p=2026-10&table=completeness")
    assert "Chi đoàn a2,Đoàn xã A,1,Đã báo cáo đúng hạn (hạn 25/11/2026)" in csv.data.decode(
        "utf-8"
    )


@pytest.mark.parametrize(
    ("language", "shown"), [("vi", "16:00 01/10/2026"), ("en", "16:00, 1 Oct 2026")]
)
def test_the_last_sync_is_written_in_the_pages_language(app, branches, language, shown):
    """a4's phone last synced on 01/10 at 09:00 UTC, 16:00 in Vietnam (an English page
    showed it the Vietnamese way)."""
    staff = signed_in(app, "canbo-a")
    page = staff.get(f"/reports/{branches['A']}/completeness?p=2026-10&lang={language}")
    sections = htmltables.table(page.get_data(as_text=True), "branches")
    rows = [r for section in sections for r in section.texts()]
    a4 = next(r for r in rows if r and r[0].startswith("Chi đoàn a4"))
    assert shown in a4
