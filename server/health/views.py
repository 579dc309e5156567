"""``GET /healthz``: is this instance able to serve, database included?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..errors import retry_after_seconds
from ..extensions import db
from ..outage import outage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database check failed: %s", type(exc).__name__)
        wait = retry_after_seconds()
        body = {"status": "unavailable", "database": "unreachable", "retry_after": wait}
        return jsonify(body), 503, {"Retry-After": str(wait)}
    outage().database_answered()
    return jsonify({"status": "ok", "database": "ok"})
