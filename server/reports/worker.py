"""The totals worker: a process of its own that keeps the report totals fresh, so that
reading a report never writes (decisions 55 and 58).

Writes leave deltas and dirty pairs behind (:mod:`server.reports.deltas`); every few
seconds the worker looks whether anything waits and, if so, adds it in
(:func:`server.reports.totals.refresh`, one short transaction). Looking costs two
one-row reads, so it polls, on PostgreSQL as on SQLite: a ``NOTIFY`` from the writing
transactions would wake it sooner but makes every commit that carries one take
PostgreSQL's global notification lock, serialising phones' pushes (decision 58).

Run it beside the web processes: ``flask --app server totals-worker`` (the ``worker:``
line of the ``Procfile``; ``make run`` starts it with gunicorn). One is enough; a second
one only waits for the first's lock. If it stops, figures stop moving and the report
pages say since when changes wait (:mod:`server.reports.freshness`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ..extensions import db
from .totals import refresh

log = logging.getLogger(__name__)

#: Seconds between two looks at what waits: how far behind a report page can be.
INTERVAL = 2.0
#: After failures, the wait grows (doubling) up to this many seconds.
MAX_BACKOFF = 60.0
#: A step longer than this is worth a line in the log.
SLOW_STEP = 1.0


def step(session: Session) -> int:
    """One round of the worker: add in everything waiting, and commit. Returns how many
    delta rows and dirty pairs it handled (0: the totals were up to date)."""
    return refresh(session)


def run(app: Flask, *, interval: float = INTERVAL, stop: threading.Event | None = None) -> None:
    """Step every ``interval`` seconds until ``stop`` is set. A failed step (the database
    down, a lock timeout) is logged and tried again later, the wait doubling each time:
    the worker outlives what it cannot fix, and nothing is lost meanwhile — the changes
    stay in ``report_deltas`` and ``report_dirty`` until a step succeeds."""
    stop = stop or threading.Event()
    failures = 0
    with app.app_context():
        log.info("totals worker: looking for changes every %.1f s", interval)
        while not stop.is_set():
            started = time.monotonic()
            try:
                handled = step(db.session())
                failures = 0
                took = time.monotonic() - started
                if took > SLOW_STEP:
                    log.info("totals worker: %d changes added up in %.1f s", handled, took)
            except Exception:
                failures += 1
                log.exception("totals worker: step failed (%d in a row), trying again", failures)
            finally:
                db.session.remove()
            stop.wait(min(MAX_BACKOFF, interval * 2 ** min(failures, 16)))
        log.info("totals worker: stopped")


@click.command("totals-worker")
@click.option("--once", is_flag=True, help="One step, then exit (0: nothing was waiting).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=INTERVAL,
    show_default=True,
    help="Seconds between two looks at what waits.",
)
@with_appcontext
def command(once: bool, interval: float) -> None:
    """Keep the report totals fresh: add up what activity writes and tree moves left
    waiting (run one beside the web processes)."""
    if once:
        handled = step(db.session())
        click.echo(f"Đã cộng {handled} thay đổi vào số liệu / {handled} changes added up")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run(current_app._get_current_object(), interval=interval, stop=stop)
