"""``REPORTS_DATABASE_URL``: the dashboard's report reads go to another database (a read
replica in production; here a copy of the test's database, which then drifts from the
primary), through the seam of decision 57, and nothing can be written there."""

from __future__ import annotations

import re

import click
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from server.config import ConfigError, from_environment
from server.extensions import db
from server.models import Activity, AuditEvent, report_quantities, report_totals
from server.models.types import utcnow
from server.reports.source import ENGINE, reader
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.server.test_reports_reads import Recorder, _copy
from tests.world import signed_in

TOTAL = re.compile(
    r'id="total-activities">\s*<div class="label">[^<]*</div>\s*<div class="value">(\d+)<'
)


def test_report_reads_go_to_the_reports_database(app, tree, backend, make_app):  # noqa: F811
    caught_up(app)
    copy_uri = _copy(app, backend)
    engine = None
    try:
        with app.app_context():
            # The primary loses every figure after the copy was taken.
            db.session.execute(update(Activity).values(deleted_at=utcnow()))
            db.session.execute(delete(report_totals))
            db.session.execute(delete(report_quantities))
            db.session.commit()
        settings = {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
        plain = make_app(**settings)
        replicated = make_app(**settings, REPORTS_DATABASE_URL=copy_uri)
        page = f"/reports/{tree['P']}?p=2026"
        # Without the setting the page shows the primary's (empty) figures.
        assert TOTAL.search(signed_in(plain, "tinh").get(page).get_data(as_text=True))[1] == "0"

        engine = replicated.extensions[ENGINE]
        assert make_url(str(engine.url)).database == make_url(copy_uri).database
        province = signed_in(replicated, "tinh")
        with Recorder(engine) as on_copy:
            html = province.get(page).get_data(as_text=True)
            export = province.get(f"/reports/{tree['P']}/export.csv?p=2026&table=units")
        assert TOTAL.search(html)[1] == "4"
        assert export.status_code == 200
        assert export.data.decode().splitlines()[-1].startswith("Tổng cộng,4,")
        assert on_copy.statements and not on_copy.writes
        # The export's audit record went to the primary, not to the copy.
        exported = select(func.count()).where(AuditEvent.action == "report.export")
        with replicated.app_context():
            assert db.session.scalar(exported) == 1
            assert reader().scalar(exported) == 0
            # The copy refuses writes, as a hot standby does.
            with pytest.raises(DBAPIError):
                reader().execute(text("DELETE FROM audit_events"))
    finally:
        if engine is not None:
            engine.dispose()
        backend.drop(copy_uri)


def test_the_setting_is_read_from_the_environment(tmp_path):
    base = {"SECRET_KEY": "k" * 40}
    assert from_environment(base, tmp_path)["REPORTS_DATABASE_URL"] is None
    assert (
        from_environment({**base, "REPORTS_DATABASE_URL": " "}, tmp_path)["REPORTS_DATABASE_URL"]
        is None
    )
    got = from_environment(
        {**base, "REPORTS_DATABASE_URL": "postgres://ro@10.0.0.2/sodoan"}, tmp_path
    )["REPORTS_DATABASE_URL"]
    assert got == "postgresql+psycopg://ro@10.0.0.2/sodoan"
    with pytest.raises(ConfigError, match="REPORTS_DATABASE_URL"):
        from_environment({**base, "REPORTS_DATABASE_URL": "mysql://x@y/z"}, tmp_path)


NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"


def test_an_unreachable_reports_database_leaves_sync_running(
    app,
    tree,  # noqa: F811
    make_app,
    caplog,
):
    """The dashboard's replica down at a start or restart must not take the phones' sync
    with it (it stopped the whole app): the app starts and says so in one line, report
    pages answer 503 until the replica is back, and everything else works."""
    replicated = make_app(
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SODOAN_PROBE_DATABASE=True,
        REPORTS_DATABASE_URL=NOWHERE,
    )
    assert any("REPORTS_DATABASE_URL" in r.getMessage() for r in caplog.records)
    client = replicated.test_client()
    assert client.get("/healthz").status_code == 200
    province = signed_in(replicated, "tinh")
    page = province.get(f"/reports/{tree['P']}?p=2026")
    assert page.status_code == 503
    assert page.headers.get("Retry-After")


def test_flask_commands_run_without_the_reports_database(make_app, database_uri):
    """Migrations and restores must not wait for a replica that is down or being rebuilt."""
    with click.Context(click.Command("db")).scope():
        app = make_app(
            SQLALCHEMY_DATABASE_URI=database_uri,
            SODOAN_PROBE_DATABASE=True,
            REPORTS_DATABASE_URL=NOWHERE,
        )
    assert ENGINE in app.extensions
