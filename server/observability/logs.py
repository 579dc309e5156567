"""Logs as one JSON object per line, each carrying the id of the request it belongs to.

The id comes from the proxy (nginx's ``$request_id`` sent as ``X-Request-ID``) when it
looks like one, so the proxy's access log and the app's lines meet on it; otherwise the
app makes one. Answers that are errors carry it back (``X-Request-ID``), so a person who
reports "it said lỗi máy chủ" can quote it. Successful API answers do not: a phone on 2G
pays for every header byte of every poll.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Fields every line has, in this order.
FIELDS = ("timestamp", "level", "logger", "message", "request_id")


def request_id() -> str:
    """This request's id ("-" outside a request)."""
    if not has_request_context():
        return "-"
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get(HEADER, "")
        rid = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        g.request_id = rid
    return rid


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request id, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        " ".join(f"%({f})s" for f in ("asctime", "levelname", "name", "message")),
        rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        timestamp=False,
        json_ensure_ascii=False,
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")


def configure(level: str, fmt: str) -> None:
    """One handler on the root logger, JSON or text, with the request id filter.

    Replaces handlers set earlier (a test app made twice, ``logging.basicConfig``), so a
    line is never written twice.
    """
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter() if fmt == "json" else text_formatter())
    handler.addFilter(RequestIdFilter())
    for old in list(root.handlers):
        if getattr(old, "_sodoan", False):
            root.removeHandler(old)
    handler._sodoan = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


_access = logging.getLogger("sodoan.access")


def register(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def _finish(response: Any) -> Any:
        if response.status_code >= 400:
            response.headers[HEADER] = request_id()
        started = g.get("request_started")
        if started is not None:
            _access.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "endpoint": request.endpoint,
                    "address": request.remote_addr,
                    "device_id": str(g.device_id) if g.get("device_id") else None,
                },
            )
        return response
