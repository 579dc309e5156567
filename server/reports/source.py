"""Where report reads come from: the one seam a read replica plugs into (decision 57).

Every report read — figures, completeness, targets, nominations, the freshness note —
takes its session from :func:`reader`. Report reads are pure reads (decision 55), so
they can be served by any copy of the database that is close enough behind; writes
(the export's audit record, targets, schedules, nominations) keep to ``db.session``,
the primary, and so does every check of who may see or link what (decision 130): a
replica that lags may show old figures, never grant what the primary refuses. Unless
``REPORTS_DATABASE_URL`` is set, the reader is the app's own session; with it,
:func:`init_app` registers a session bound to that database, one per app context, whose
transactions are read-only (decision 120).
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..database import describe, engine_options, guard, probe
from ..extensions import db

#: ``app.extensions`` key of a callable returning the session report reads use.
EXTENSION = "sodoan.report_reader"
#: ``app.extensions`` key of the replica's engine, when there is one.
ENGINE = "sodoan.report_engine"


def reader() -> Session:
    """The session for report reads (the primary's unless a factory was registered)."""
    factory = current_app.extensions.get(EXTENSION)
    return factory() if factory is not None else db.session()


def init_app(app: Flask) -> None:
    """Send report reads to ``REPORTS_DATABASE_URL`` when it is set.

    Its connections refuse writes (a hot standby does anyway; a copy or a misconfigured
    URL pointing at the primary would not), so a write slipped into a report read fails
    loudly instead of landing where nobody reads it. It gets the primary's limits and
    answer deadline: a hung replica is a 503 on report pages, like a hung primary.
    """
    uri = app.config.get("REPORTS_DATABASE_URL")
    if not uri:
        return
    # Not for `flask` commands (migrations, restores, the totals worker): none reads a
    # report, and a replica that is down or being rebuilt must not stop them.
    # Down at start, it is only reported: the phones' sync must not stop because the
    # dashboard's copy is away; report pages answer 503 until it is back (decision 120).
    if app.config.get("SODOAN_PROBE_DATABASE") and click.get_current_context(silent=True) is None:
        reason = probe(uri, app.config)
        if reason is not None:
            logging.getLogger("sodoan").warning(
                "Không kết nối được bản sao cơ sở dữ liệu cho báo cáo / cannot reach the "
                "reports' database (REPORTS_DATABASE_URL) %s: %s; report pages answer 503"
                " until it answers",
                describe(uri),
                reason,
            )
    engine = read_only_engine(uri, engine_options(uri, app.config))
    guard(engine, app.config)
    sessions = sessionmaker(bind=engine)

    def session() -> Session:
        if "report_reader" not in g:
            g.report_reader = sessions()
        return g.report_reader

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        opened = g.pop("report_reader", None)
        if opened is not None:
            opened.close()

    app.extensions[EXTENSION] = session
    app.extensions[ENGINE] = engine


def read_only_engine(uri: str, options: dict[str, Any]) -> Engine:
    """An engine whose every transaction is read-only, on either backend."""
    args = dict(options.get("connect_args", {}))
    if uri.startswith("postgresql"):
        args["options"] = " ".join(
            [args.get("options", ""), "-c default_transaction_read_only=on"]
        ).strip()
        return create_engine(uri, **{**options, "connect_args": args})
    engine = create_engine(uri, **options)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine
