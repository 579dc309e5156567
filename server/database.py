"""Engine set-up and the start-up probe.

SQLite is the zero-set-up default, so it gets the settings that make it safe for a small
multi-process server: WAL (readers do not block the writer), foreign keys (off by default
in SQLite!) and a busy timeout (a second gunicorn worker waits instead of failing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # We issue BEGIN ourselves (below): pysqlite's own transaction handling would break
    # SAVEPOINT and cannot start a transaction as a writer.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """``BEGIN IMMEDIATE`` for writers that asked for it (``sqlite_immediate``), so they
    queue for the write lock up front instead of failing half-way (see sync.push)."""
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def engine_options(uri: str) -> dict[str, Any]:
    """Per-backend engine options (pool sizes, connect time-outs)."""
    url = make_url(uri)
    if url.get_backend_name() == "postgresql":
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    return {}


def describe(uri: str) -> str:
    """The database URL without its password, for messages and logs."""
    return make_url(uri).render_as_string(hide_password=True)


def probe(uri: str) -> str | None:
    """Connect once with a throw-away engine; return a one-line reason on failure.

    A throw-away engine, so that nothing is left in the app's pool before gunicorn forks.
    """
    engine = create_engine(uri, **engine_options(uri))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return reason[0] if reason else type(exc).__name__
    finally:
        engine.dispose()
    return None


def begin_writing(session: Any) -> None:
    """End whatever the request read so far and start a transaction that will write.

    On SQLite it starts ``IMMEDIATE``: a transaction that reads first and writes later
    fails when another writer committed in between, so a writer queues up front.
    """
    session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
