"""What a report URL's dates and a lagging replica may not do: answer 500, or grant.

Custom ranges (``from``/``to``) are held to the years ``p`` allows; a range at the edge
of what a date holds once broke the page, the previous period, the trend and the due date
(year 0 or 10000). Whether a reader may open something is decided on the primary, never
on the reports' database, which may lag behind a move in the tree (decision 130)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import Activity, Nomination, Unit
from server.models.types import utcnow
from server.reports import periods
from server.reports.source import ENGINE
from server.units.service import move_unit
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.server.test_reports_reads import _copy
from tests.world import signed_in

RANGES = [
    ("0001-01-01", "0001-01-05"),  # the page's trend reached year 0
    ("0001-01-01", "0001-12-31"),  # the previous period reached year 0
    ("9999-12-01", "9999-12-31"),  # the due date reached year 10000
    ("1999-12-01", "2000-01-31"),  # one end outside the years ``p`` allows
    ("2100-12-01", "2101-01-31"),
]
PAGES = [
    "{u}",
    "{u}/completeness",
    "{u}/targets",
    "{u}/commendations",
    "{u}/summary.docx",
    *(
        f"{{u}}/export.{fmt}?table={t}"
        for fmt in ("csv", "xlsx")
        for t in (
            "units",
            "types",
            "pillars",
            "activities",
            "targets",
            "commendations",
            "completeness",
        )
    ),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_a_range_outside_the_report_years_is_a_bad_request_on_every_page(
    app,
    tree,  # noqa: F811
    start,
    end,
):
    province = signed_in(app, "tinh")
    for page in PAGES:
        url = "/reports/" + page.format(u=tree["P"])
        url += ("&" if "?" in url else "?") + f"from={start}&to={end}"
        resp = province.get(url)
        assert resp.status_code == 400, url
        assert "Chỉ xem được báo cáo từ năm 2000 đến năm 2100" in resp.get_data(as_text=True), url


def test_ranges_at_the_edges_of_the_report_years_work(app, tree):  # noqa: F811
    province = signed_in(app, "tinh")
    for start, end in (("2000-01-01", "2000-01-05"), ("2100-12-01", "2100-12-31")):
        for page in (
            "{u}",
            "{u}/completeness",
            "{u}/export.csv?table=completeness",
            "{u}/summary.docx",
        ):
            url = "/reports/" + page.format(u=tree["P"])
            url += ("&" if "?" in url else "?") + f"from={start}&to={end}"
            assert province.get(url).status_code == 200, url
    with pytest.raises(periods.PeriodError, match="2000"):
        periods.parse("0001-01-01..0001-01-05", today=date(2026, 1, 1), phases={})


def test_a_lagging_replica_does_not_open_an_activity_the_primary_moved_away(
    app,
    tree,  # noqa: F811
    backend,
    make_app,
):
    """b1 moved from B to A on 1 July; A's staff open its August activity. The primary then
    moves b1 back to B; a replica that has not caught up still has it under A."""
    caught_up(app)
    with app.app_context():
        august = db.session.scalar(
            select(Activity.id).where(
                Activity.unit_id == tree["B1"], Activity.starts_on == date(2026, 8, 1)
            )
        )
    copy_uri = _copy(app, backend)
    replicated = None
    try:
        with app.app_context():
            move_unit(
                db.session.get(Unit, tree["B1"]), db.session.get(Unit, tree["B"]), date(2026, 9, 1)
            )
            db.session.commit()
        replicated = make_app(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REPORTS_DATABASE_URL=copy_uri,
        )
        district = signed_in(replicated, "huyen-a")
        assert district.get(f"/reports/activity/{august}").status_code == 404
        assert district.get(f"/reports/{tree['B1']}?p=2026").status_code == 404
        # Those it still may read are read from the replica, as before.
        province = signed_in(replicated, "tinh")
        shown = province.get(f"/reports/activity/{august}")
        assert shown.status_code == 200 and "01/08/2026" in shown.get_data(as_text=True)
    finally:
        if replicated is not None:
            replicated.extensions[ENGINE].dispose()
        backend.drop(copy_uri)


def test_a_lagging_replica_does_not_let_a_deleted_activity_back_a_nomination(
    app,
    tree,  # noqa: F811
    backend,
    make_app,
):
    """The evidence offered is read from the replica; whether it may back a nomination is
    the primary's to say, where the activity has since been deleted."""
    caught_up(app)
    with app.app_context():
        august = db.session.scalar(
            select(Activity.id).where(
                Activity.unit_id == tree["B1"], Activity.starts_on == date(2026, 8, 1)
            )
        )
    copy_uri = _copy(app, backend)
    replicated = None
    try:
        with app.app_context():
            db.session.execute(
                update(Activity).where(Activity.id == august).values(deleted_at=utcnow())
            )
            db.session.commit()
        replicated = make_app(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REPORTS_DATABASE_URL=copy_uri,
        )
        district = signed_in(replicated, "huyen-a")
        page = f"/reports/{tree['A']}/commendations?p=2026"
        assert str(august) in district.get(page).get_data(as_text=True)  # the replica's list
        resp = district.post(
            page,
            data={"kind": "model", "name": "Mô hình", "reason": "Tốt", "activities": str(august)},
        )
        assert resp.status_code == 404
        with replicated.app_context():
            assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    finally:
        if replicated is not None:
            replicated.extensions[ENGINE].dispose()
        backend.drop(copy_uri)
