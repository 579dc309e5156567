"""A report read is a pure read (decision 55): every page and export of the dashboard's
reports, read while changes wait to be added up, issues no write statement, takes no lock
and commits nothing but the export's audit record."""

from __future__ import annotations

import re
import sqlite3
from datetime import date

from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Activity, AuditEvent, Unit, report_quantities, report_totals
from server.models.types import utcnow
from server.reports.source import EXTENSION
from tests import factories as f
from tests.server.test_reports import caught_up, tree  # noqa: F401  (the fixed tree)
from tests.world import signed_in

#: Anything that changes the database or takes a lock on it.
WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|LOCK|TRUNCATE|CREATE|ALTER|DROP|COPY|NOTIFY)\b"
    r"|\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b"
    r"|pg_advisory|\bBEGIN\s+(IMMEDIATE|EXCLUSIVE)\b",
    re.IGNORECASE,
)


class Recorder:
    """Every statement and commit on the app's engine while it listens."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, conn, cursor, statement, params, context, many) -> None:
        self.statements.append(statement)

    def _commit(self, conn) -> None:
        self.commits += 1

    def __enter__(self) -> Recorder:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    @property
    def writes(self) -> list[str]:
        return [" ".join(s.split())[:120] for s in self.statements if WRITES.search(s)]


PAGES = [
    "/reports/{P}?p=2026",
    "/reports/{A}?p=2026",
    "/reports/{A1}?p=2026",
    "/reports/{A}/targets?p=2026",
    "/reports/{A}/completeness?p=2026",
    "/reports/{A}/commendations?p=2026",
]
TABLES = ["units", "types", "pillars", "activities", "targets", "commendations", "completeness"]


def test_a_report_read_issues_no_write_statement(app, tree):  # noqa: F811
    caught_up(app)
    province = signed_in(app, "tinh")
    province.post(
        f"/reports/{tree['P']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    with app.app_context():
        # Changes waiting to be added up when the pages are read: a new activity, an
        # edit, and a move in the tree (pairs to recompute).
        a1 = db.session.get(Unit, tree["A1"])
        f.activity(a1, date(2026, 9, 1), status="submitted", members_count=3)
        db.session.commit()
        from server.units.service import move_unit

        move_unit(
            db.session.get(Unit, tree["A2"]), db.session.get(Unit, tree["B"]), date(2026, 10, 1)
        )
        db.session.commit()
        engine = db.engine
    for path in PAGES:
        with Recorder(engine) as seen:
            resp = province.get(path.format(**tree))
        assert resp.status_code == 200, path
        assert seen.writes == [], path
        assert seen.commits == 0, path
    for table in TABLES:
        for fmt in ("xlsx", "csv"):
            with Recorder(engine) as seen:
                resp = province.get(f"/reports/{tree['A']}/export.{fmt}?p=2026&table={table}")
            assert resp.status_code == 200, table
            # The one write: who exported what, to the audit log (decision 55).
            assert [w.split("(")[0].strip() for w in seen.writes] == ["INSERT INTO audit_events"], (
                table
            )
            assert seen.commits == 1, table


def _copy(app, backend) -> str:
    """A copy of the test's database as it is now, standing in for a replica."""
    with app.app_context():
        uri = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
        db.engine.dispose()
    if backend.name == "postgresql":
        name = f"{make_url(uri).database}_copy"
        backend._pg(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(uri).database}"')
        return backend._pg_uri(name)
    path = make_url(uri).database + ".copy"
    source, target = sqlite3.connect(make_url(uri).database), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


def _read_only(uri: str):
    """An engine that refuses every write, as a replica does."""
    if uri.startswith("postgresql"):
        return create_engine(uri, connect_args={"options": "-c default_transaction_read_only=on"})
    engine = create_engine(uri)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine


def test_every_report_read_goes_through_the_reports_reader(app, tree, backend):  # noqa: F811
    """Report reads pointed at a read-only copy of the database (as a replica would be,
    through the one seam, ``server.reports.source``) show the copy's figures, even once
    the primary has lost them: no page or export reads its figures anywhere else."""
    caught_up(app)
    province = signed_in(app, "tinh")
    province.post(
        f"/reports/{tree['P']}/targets?p=2026",
        data={"type_id": "0", "each_kind": "branch", "activities": "1"},
    )
    with app.app_context():
        a1_activity = db.session.scalars(
            select(Activity.id).where(Activity.unit_id == tree["A1"], Activity.status == "verified")
        ).one()
    replica_uri = _copy(app, backend)
    replica = _read_only(replica_uri)
    session = Session(replica)
    try:
        with app.app_context():
            # The primary loses every figure: reading it would show none. One activity
            # stays, renamed, so its page (authorised on the primary, decision 130) shows
            # which database its row was read from.
            db.session.execute(
                update(Activity).where(Activity.id != a1_activity).values(deleted_at=utcnow())
            )
            db.session.execute(
                update(Activity).where(Activity.id == a1_activity).values(title="Trên primary")
            )
            db.session.execute(delete(report_totals))
            db.session.execute(delete(report_quantities))
            db.session.commit()
        app.extensions[EXTENSION] = lambda: session
        page = province.get(f"/reports/{tree['P']}?p=2026").get_data(as_text=True)
        assert re.search(
            r'id="total-activities">\s*<div class="label">[^<]*</div>\s*'
            r'<div class="value">4<',
            page,
        )
        branch = province.get(f"/reports/{tree['A1']}?p=2026").get_data(as_text=True)
        assert branch.count("/reports/activity/") == 2
        shown = province.get(f"/reports/activity/{a1_activity}")
        assert shown.status_code == 200
        assert '<h1 id="title">Hoạt động</h1>' in shown.get_data(as_text=True)  # the copy's
        done = province.get(f"/reports/{tree['A']}/completeness?p=2026").get_data(as_text=True)
        assert 'id="reported">2<' in done
        targets = province.get(f"/reports/{tree['P']}/targets?p=2026").get_data(as_text=True)
        assert '<strong class="progress-figure">2/3</strong>' in targets
        csv = province.get(f"/reports/{tree['A1']}/export.csv?p=2026&table=activities")
        assert csv.status_code == 200 and csv.data.decode().count("\r\n") == 1 + 2 + 1
        units = province.get(f"/reports/{tree['P']}/export.csv?p=2026&table=units")
        assert units.data.decode().splitlines()[-1].startswith("Tổng cộng,4,")
        # The exports' audit records went to the primary; the copy has none.
        exported = select(func.count()).where(AuditEvent.action == "report.export")
        with app.app_context():
            assert db.session.scalar(exported) == 2
        assert session.scalar(exported) == 0
    finally:
        session.close()
        replica.dispose()
        backend.drop(replica_uri)
