"""Watching the app run: structured logs with a request id, Prometheus metrics, and an
optional error-monitoring hook.

Everything here is observation: a failure to log or count must never fail a request.
"""

from __future__ import annotations

from flask import Flask

from . import errortracking, logs, metrics


def register(app: Flask) -> None:
    logs.register(app)
    metrics.register(app)
    errortracking.register(app)
