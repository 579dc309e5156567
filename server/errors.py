"""One error shape for the JSON API: ``{"code", "message", "message_en", "errors"}``.

Pages get a plain HTML error; anything under ``/api`` or asking for JSON gets the JSON shape,
so the phone can always read a stable ``code`` and show the Vietnamese message.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES_VI = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được phép",
    413: "Dữ liệu gửi lên quá lớn",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau",
    500: "Lỗi máy chủ",
    503: "Máy chủ tạm thời không sẵn sàng, vui lòng thử lại sau",
}

#: Seconds a client should wait after a database outage before retrying.
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def error_response(
    status: int, code: str, message_en: str, errors: dict | None = None
) -> Response | tuple:
    message = MESSAGES_VI.get(status, "Lỗi")
    if wants_json():
        body = {"code": code, "message": message, "message_en": message_en}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return (
        render_template("error.html", status=status, message=message, message_en=message_en),
        status,
    )


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError):
        # Nothing was committed; the client keeps its data and tries again later.
        db.session.rollback()
        app.logger.error("database unavailable: %s", str(exc.orig).strip().splitlines()[:1])
        response = error_response(503, "database_unavailable", "The database is unavailable")
        resp = app.make_response(response)
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return resp
