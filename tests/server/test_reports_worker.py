"""The totals worker keeps the figures fresh apart from the pages (decisions 55, 58), and the
pages say how fresh they are while changes wait (decision 56)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import text, update

from server.extensions import db
from server.models import Unit
from server.models.reports import report_deltas
from server.models.types import utcnow
from server.reports import periods, worker
from server.reports.freshness import waiting
from server.reports.service import totals
from tests import factories as f
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in

FRESHNESS = "Số liệu đang được cập nhật"


def until(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never true"
        time.sleep(0.05)


@contextmanager
def running(app, interval: float = 0.05) -> Iterator[threading.Thread]:
    """The worker's own loop, in a thread, stopped (and awaited) afterwards."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(app,), kwargs={"interval": interval, "stop": stop}
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(15)
        assert not thread.is_alive()


def province_2026(app) -> int:
    with app.app_context():
        try:
            return totals(app.config["P"], periods.year(2026)).activities
        finally:
            db.session.remove()


def test_the_worker_adds_up_what_writes_leave_waiting(app, tree):  # noqa: F811
    app.config["P"] = tree["P"]
    with running(app):
        until(lambda: province_2026(app) == 4)
        with app.app_context():
            a1 = db.session.get(Unit, tree["A1"])
            for day in (1, 2, 3):
                f.activity(a1, date(2026, 9, day), status="submitted")
            db.session.commit()
        until(lambda: province_2026(app) == 7)
        with app.app_context():
            until(lambda: waiting() is None)


def test_a_failed_step_is_tried_again_and_nothing_waiting_is_lost(app, tree, caplog):  # noqa: F811
    """The table the worker consumes goes missing for a while (as in a botched
    deploy): the step fails, is logged, and is tried again until it succeeds."""
    caplog.set_level(logging.ERROR, logger="server.reports.worker")
    app.config["P"] = tree["P"]
    with app.app_context():
        db.session.execute(text("ALTER TABLE report_deltas RENAME TO report_deltas_away"))
        db.session.commit()
    with running(app):
        until(lambda: "step failed" in caplog.text)
        with app.app_context():
            db.session.execute(text("ALTER TABLE report_deltas_away RENAME TO report_deltas"))
            db.session.commit()
        until(lambda: province_2026(app) == 4)


def test_one_step_from_the_command_line(app, tree, runner):  # noqa: F811
    result = runner.invoke(args=["totals-worker", "--once"])
    assert result.exit_code == 0, result.output
    handled = int(result.output.split()[2])
    assert handled > 0 and f"{handled} changes added up" in result.output
    assert "0 changes added up" in runner.invoke(args=["totals-worker", "--once"]).output


def test_pages_say_how_fresh_their_figures_are(app, tree):  # noqa: F811
    caught_up(app)
    staff = signed_in(app, "tinh")
    page = staff.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
    assert FRESHNESS not in page  # nothing waits
    with app.app_context():
        f.activity(db.session.get(Unit, tree["A1"]), date(2026, 9, 1), status="submitted")
        db.session.commit()
        w = waiting()
        assert w is not None and w.changes == 1 and not w.stalled()
        assert abs(w.since - utcnow()) < timedelta(minutes=1)
    for path in (f"/reports/{tree['P']}?p=2026", f"/reports/{tree['A']}/targets?p=2026"):
        page = staff.get(path).get_data(as_text=True)
        assert FRESHNESS in page and "1 mục" in page, path
        assert "báo quản trị viên" not in page, path
    csv = staff.get(f"/reports/{tree['P']}/export.csv?p=2026&table=units").data.decode()
    assert csv.splitlines()[-1].startswith("Tổng cộng,4,")  # read as the worker left it
    # Waiting for an hour: the worker has stopped, and the page says whom to tell.
    with app.app_context():
        db.session.execute(update(report_deltas).values(recorded_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    page = staff.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
    assert "hãy báo quản trị viên" in page
    caught_up(app)
    page = staff.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
    assert FRESHNESS not in page and ">5<" in page


def test_an_export_from_the_totals_says_when_changes_wait(app, tree):  # noqa: F811
    from tests.server import sheets

    caught_up(app)
    with app.app_context():
        f.activity(db.session.get(Unit, tree["A1"]), date(2026, 9, 1), status="submitted")
        db.session.commit()
    staff = signed_in(app, "tinh")

    def notes(table: str) -> list[str]:
        data = staff.get(f"/reports/{tree['P']}/export.xlsx?p=2026&table={table}").data
        return sheets.read(data).top

    assert any("chưa gồm các thay đổi" in line for line in notes("units"))
    assert "chưa gồm" not in " ".join(notes("activities"))  # read from the activities
    caught_up(app)
    assert "chưa gồm" not in " ".join(notes("units"))
