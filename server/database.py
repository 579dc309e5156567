"""Engine set-up, the start-up probe, and how long a request may wait on the database.

SQLite is the zero-set-up default, so it gets the settings that make it safe for a small
multi-process server: WAL (readers do not block the writer), foreign keys (off by default
in SQLite!) and a busy timeout (a second gunicorn worker waits instead of failing).

PostgreSQL gets limits, so that a hang becomes ``503 database_unavailable`` with
``Retry-After`` (server/errors.py turns every OperationalError into one) long before a worker
or the proxy gives up on the request (decisions 75, 76): server-side time-outs for a slow
statement, a lock wait and a session idle in its transaction; TCP keepalives and a TCP user
time-out for a dead peer; and, for a database or network that goes silent without closing
anything, an answer deadline kept on the app's side that closes the connection.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from .config import database_limits

logger = logging.getLogger(__name__)

#: libpq's TCP settings (overridable in DATABASE_URL's query string): a silent peer is
#: probed after 5 s idle, every 2 s; unacknowledged data or probes for 15 s end the link.
TCP_SETTINGS = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}

#: What ``flask`` commands use: a migration or a rebuild may rightly run for minutes, and
#: the person who started it can wait or interrupt it.
NO_REQUEST_LIMITS = {
    "DATABASE_STATEMENT_TIMEOUT": 0,
    "DATABASE_LOCK_TIMEOUT": 0,
    "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": 0,
    "DATABASE_ANSWER_TIMEOUT": 0,
}

_SERVER_LIMITS = (
    ("statement_timeout", "DATABASE_STATEMENT_TIMEOUT"),
    ("lock_timeout", "DATABASE_LOCK_TIMEOUT"),
    ("idle_in_transaction_session_timeout", "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"),
)


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


def engine_options(uri: str, limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Per-backend engine options. ``limits`` are the ``DATABASE_*``/``SQLITE_*`` settings
    (server.config.database_limits); missing ones take their defaults."""
    given = limits or {}
    limits = {key: given.get(key, default) for key, default in database_limits({}).items()}
    url = make_url(uri)
    if url.get_backend_name() == "postgresql":
        return {"pool_pre_ping": True, "connect_args": _postgresql_args(url, limits)}
    # The Python driver's own busy handler: SQLite retries the lock for this long.
    return {"connect_args": {"timeout": float(limits["SQLITE_BUSY_TIMEOUT"])}}


def _postgresql_args(url: URL, limits: Mapping[str, Any]) -> dict[str, Any]:
    """libpq parameters; whatever DATABASE_URL's query string sets itself wins."""
    args: dict[str, Any] = {k: v for k, v in TCP_SETTINGS.items() if k not in url.query}
    if limits["DATABASE_CONNECT_TIMEOUT"] and "connect_timeout" not in url.query:
        # Whole seconds; libpq takes 1 as 2.
        args["connect_timeout"] = max(2, math.ceil(limits["DATABASE_CONNECT_TIMEOUT"]))
    options = [
        f"-c {name}={round(limits[key] * 1000)}" for name, key in _SERVER_LIMITS if limits[key]
    ]
    if options:
        # The URL's own options come last, so a -c there overrides ours.
        given = url.query.get("options")
        args["options"] = " ".join([*options, *([given] if isinstance(given, str) else [])])
    return args


def guard(engine: Engine, limits: Mapping[str, Any]) -> None:
    """Give a PostgreSQL engine's connections the answer deadline (nothing for SQLite)."""
    seconds = float(limits.get("DATABASE_ANSWER_TIMEOUT") or 0)
    if engine.dialect.name != "postgresql" or not seconds:
        return

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> Any:
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.answer_timeout = seconds
        return connection


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that stops waiting when PostgreSQL stops answering.

    Every exchange with the server (a statement, a fetch, COMMIT, the pool's ping) goes
    through :meth:`wait`; past ``answer_timeout`` seconds the watchdog closes the socket,
    as a dead network eventually would. libpq reports the connection lost, psycopg raises
    ``OperationalError``, SQLAlchemy discards the connection and the app answers 503.
    """

    answer_timeout: float = 0.0

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        token = None
        if self.answer_timeout:
            with contextlib.suppress(psycopg.Error):  # already lost: psycopg says so below
                token = _WATCHDOG.arm(self.pgconn.socket, self.answer_timeout)
        try:
            return super().wait(gen, *args, **kwargs)
        finally:
            if token is not None:
                _WATCHDOG.disarm(token)


class _Watchdog:
    """One thread per process that closes the socket of a connection whose answer is late.

    It looks four times a second rather than being woken for each statement: a statement
    costs two lock acquisitions, and a deadline is kept to within a quarter of a second.
    """

    TICK = 0.25

    def __init__(self) -> None:
        self._reset()
        # A forked gunicorn worker has no watchdog thread, and its lock may have been held.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, int, float]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, fd: int, seconds: float) -> int:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="database-answer-deadline", daemon=True
                )
                self._thread.start()
            token = next(self._tokens)
            self._due[token] = (time.monotonic() + seconds, fd, seconds)
        return token

    def disarm(self, token: int) -> None:
        with self._lock:
            self._due.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            # Cut under the lock: until its wait returns and disarms, the socket is still
            # that connection's (its descriptor cannot have been reused).
            with self._lock:
                for token, (deadline, fd, seconds) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[token]
                        _cut(fd, seconds)


def _cut(fd: int, seconds: float) -> None:
    try:
        duplicate = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    with duplicate:  # closes the duplicate only; the shutdown reaches the connection
        with contextlib.suppress(OSError):
            duplicate.shutdown(socket.SHUT_RDWR)
    logger.warning("no answer from the database in %g s: connection closed", seconds)


_WATCHDOG = _Watchdog()


def describe(uri: str) -> str:
    """The database URL without its password, for messages and logs."""
    return make_url(uri).render_as_string(hide_password=True)


def probe(uri: str, limits: Mapping[str, Any] | None = None) -> str | None:
    """Connect once with a throw-away engine; return a one-line reason on failure.

    A throw-away engine, so that nothing is left in the app's pool before gunicorn forks.
    """
    engine = create_engine(uri, **engine_options(uri, limits))
    guard(engine, {**NO_REQUEST_LIMITS, **(limits or {})})
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
