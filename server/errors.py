"""Every error answer of the app, API and pages alike: one error type, one table of codes,
one handler.

A client branches on ``code``, which is stable and listed in docs/PROTOCOL.md, and may show
``message``, the Vietnamese; ``message_en`` is said where the error is raised, with its
particulars. Anything under ``/api``, ``/healthz`` or asked for as JSON gets
``{"code", "message", "message_en", …details}``; a person's browser gets the same message
as a page. Every code is written out below: none is derived from an exception's name, so
renaming or upgrading a library cannot change what a phone receives.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from schemas.sync import MAX_BODY_BYTES

from .extensions import db
from .outage import outage
from .outage import register as register_outage

#: For a code nobody wrote a message for (the tests check there is none).
GENERIC_MESSAGE = "Lỗi"

#: The Vietnamese of every code the app answers with.
MESSAGES: dict[str, str] = {
    # The API's refusals, docs/PROTOCOL.md §1.
    "bad_json": "Dữ liệu gửi lên không đúng định dạng",
    "bad_gzip": "Dữ liệu nén không hợp lệ",
    "bad_batch": "Gói dữ liệu không hợp lệ",
    "invalid_token": "Phiên đăng nhập không hợp lệ, vui lòng đăng nhập lại",
    "device_revoked": "Thiết bị đã bị thu hồi quyền truy cập, vui lòng đăng nhập lại",
    "bad_credentials": "Tên đăng nhập hoặc mật khẩu không đúng",
    "enrolment_code_invalid": "Mã kích hoạt không đúng, đã dùng hoặc đã hết hạn",
    "too_many_requests": "Quá nhiều yêu cầu, vui lòng thử lại sau",
    "device_mismatch": "Mã thiết bị không khớp với phiên đăng nhập",
    "device_taken": "Mã thiết bị này thuộc về tài khoản khác",
    "mutation_gap": "Thiếu thay đổi trước đó, ứng dụng sẽ gửi lại theo thứ tự",
    "mutation_mismatch": "Thay đổi đã gửi trước đó có nội dung khác",
    "resync_required": "Cần tải lại toàn bộ dữ liệu",
    "body_too_large": "Dữ liệu gửi lên quá lớn",
    "batch_too_large": "Gửi quá nhiều mục một lần",
    "unsupported_encoding": "Kiểu nén không được hỗ trợ",
    "invalid_request": "Yêu cầu không hợp lệ",
    "upgrade_required": "Ứng dụng đã cũ, vui lòng cập nhật",
    # The connection can drop between COMMIT and its answer: what was sent may be stored.
    "database_unavailable": (
        "Máy chủ tạm thời không sẵn sàng; dữ liệu vừa gửi có thể đã được lưu, ứng dụng sẽ"
        " gửi lại đúng gói đó sau"
    ),
    # Resolving a conflict (§4) and managing people (§7). A rule's refusal of a resolution
    # (record_verified, unit_closed…) carries its own message, from schemas/errors.py.
    "not_found": "Không tìm thấy",
    "forbidden": "Không có quyền",
    "conflict_resolved": "Xung đột này đã được giải quyết",
    "validation_failed": "Dữ liệu chưa hợp lệ, vui lòng sửa lại",
    "user_inactive": "Tài khoản đã bị khoá",
    # Evidence photos (§9).
    "offset_mismatch": "Vị trí tải lên không khớp với máy chủ; tiếp tục từ vị trí máy chủ báo",
    "bad_offset": "Thiếu hoặc sai tiêu đề Upload-Offset",
    "unsupported_media_type": "Kiểu dữ liệu tải lên không được hỗ trợ",
    "hash_mismatch": "Ảnh nhận được không khớp mã kiểm tra; ảnh vẫn được giữ trên máy",
    "not_an_image": "Tệp không phải ảnh JPEG, PNG hoặc WebP; ảnh vẫn được giữ trên máy",
    "image_too_large": "Ảnh quá lớn (quá 40 triệu điểm ảnh); ảnh vẫn được giữ trên máy",
    "upload_too_large": "Dữ liệu gửi lên nhiều hơn kích thước ảnh đã khai báo",
    "quota_exceeded": "Chi đoàn đã dùng hết dung lượng lưu ảnh; ảnh vẫn được giữ trên máy",
    # HTTP's own errors: the pages' refusals, and what the web framework refuses before
    # any of the app's code runs (an unknown path, a wrong method, an oversized body).
    "bad_request": "Yêu cầu không hợp lệ",
    "unauthorized": "Cần đăng nhập",
    "method_not_allowed": "Phương thức không được phép",
    "requested_range_not_satisfiable": GENERIC_MESSAGE,
    "unprocessable_entity": "Dữ liệu không hợp lệ",
    "internal_server_error": "Lỗi máy chủ",
    "service_unavailable": "Máy chủ tạm thời không sẵn sàng, vui lòng thử lại sau",
    "error": GENERIC_MESSAGE,
}

#: The code of each HTTP error the framework, its extensions or ``abort()`` raise here;
#: any other status (none is raised today) answers ``error``.
HTTP_CODES: dict[int, str] = {
    400: "bad_request",  # abort(400), a missing CSRF token, a malformed form
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",  # abort(404), an unknown path
    405: "method_not_allowed",
    # Over MAX_CONTENT_LENGTH (a chunked body has no length to check first): the API's
    # own code, as the API's limit and nginx's answer it (PROTOCOL §1).
    413: "body_too_large",
    416: "requested_range_not_satisfiable",  # a Range header on a static file
    422: "unprocessable_entity",
    429: "too_many_requests",  # Flask-Limiter: failed sign-ins
    500: "internal_server_error",
    503: "service_unavailable",
}


def retry_after_seconds() -> int:
    """The ``Retry-After`` of a database outage (one place for the 503s and ``/healthz``):
    short at first, longer while it lasts (:mod:`server.outage`)."""
    return outage().retry_after()


class ApiError(Exception):
    """A refusal with a stable ``code``. ``message`` overrides the Vietnamese looked up by
    ``code`` (a rule's problem carries its own, with its params filled in); ``details``
    are extra keys of the JSON answer (``expected``, ``limit_bytes``, ``errors``…)."""

    def __init__(
        self, status: int, code: str, message_en: str, *, message: str | None = None, **details: Any
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_en = message_en
        self.message = message
        self.details = details


def wants_json() -> bool:
    """The API and the health check always speak JSON; elsewhere the client chooses."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def render(
    status: int, code: str, message_en: str, *, message: str | None = None, **details: Any
) -> Response:
    """The one rendering of an error: the JSON shape of PROTOCOL §1, or a page."""
    message = message or MESSAGES.get(code, GENERIC_MESSAGE)
    if wants_json():
        body = jsonify({"code": code, "message": message, "message_en": message_en, **details})
        return make_response(body, status)
    page = render_template("error.html", status=status, message=message, message_en=message_en)
    return make_response(page, status)


def _app_error(exc: ApiError) -> Response:
    return render(exc.status, exc.code, exc.message_en, message=exc.message, **exc.details)


def _invalid(exc: ValidationError) -> Response:
    return render(422, "invalid_request", "The request is not valid", errors=exc.messages)


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 413:
        return render(
            413, "body_too_large", "The request body is too large", limit_bytes=MAX_BODY_BYTES
        )
    response = render(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)
    for name, value in exc.get_headers():  # e.g. a 405's Allow
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_down(exc: OperationalError) -> Response:
    # The connection may have dropped after COMMIT, before its answer: a push may have been
    # applied. Resending the same batch is safe (answered from the log), so say so.
    db.session.rollback()
    current_app.logger.error("database unavailable: %s", str(exc.orig).strip().splitlines()[:1])
    wait = retry_after_seconds()
    response = render(
        503,
        "database_unavailable",
        "The database is unavailable; what was sent may have been applied: resend the same"
        f" batch after {wait} s",
        retry_after=wait,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def register(app: Flask) -> None:
    register_outage(app)
    app.register_error_handler(ApiError, _app_error)
    app.register_error_handler(ValidationError, _invalid)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(OperationalError, _database_down)
