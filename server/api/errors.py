"""API errors: one JSON shape ``{code, message, message_en, …details}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError

from ..errors import MESSAGES_VI

CODE_MESSAGES_VI = {
    "upgrade_required": "Ứng dụng đã cũ, vui lòng cập nhật",
    "body_too_large": "Dữ liệu gửi lên quá lớn",
    "batch_too_large": "Gửi quá nhiều mục một lần",
    "bad_json": "Dữ liệu gửi lên không đúng định dạng",
    "bad_gzip": "Dữ liệu nén không hợp lệ",
    "unsupported_encoding": "Kiểu nén không được hỗ trợ",
    "invalid_request": "Yêu cầu không hợp lệ",
    "invalid_token": "Phiên đăng nhập không hợp lệ, vui lòng đăng nhập lại",
    "device_revoked": "Thiết bị đã bị thu hồi quyền truy cập, vui lòng đăng nhập lại",
    "device_mismatch": "Mã thiết bị không khớp với phiên đăng nhập",
    "device_taken": "Mã thiết bị này thuộc về tài khoản khác",
    "bad_credentials": "Tên đăng nhập hoặc mật khẩu không đúng",
    "mutation_gap": "Thiếu thay đổi trước đó, ứng dụng sẽ gửi lại theo thứ tự",
    "mutation_mismatch": "Thay đổi đã gửi trước đó có nội dung khác",
    "bad_batch": "Gói dữ liệu không hợp lệ",
    "resync_required": "Cần tải lại toàn bộ dữ liệu",
    "not_found": "Không tìm thấy",
    "conflict_resolved": "Xung đột này đã được giải quyết",
    "enrolment_code_invalid": "Mã kích hoạt không đúng, đã dùng hoặc đã hết hạn",
    "forbidden": "Không có quyền",
    "user_inactive": "Tài khoản đã bị khoá",
    "validation_failed": "Dữ liệu chưa hợp lệ, vui lòng sửa lại",
}


class ApiError(Exception):
    """An API refusal. ``message`` overrides the Vietnamese text looked up by ``code``
    (a rule's problem carries its own, with its params filled in)."""

    def __init__(
        self, status: int, code: str, message_en: str, *, message: str | None = None, **details: Any
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_en = message_en
        self.message = message
        self.details = details


def body(
    code: str, status: int, message_en: str, *, message: str | None = None, **details: Any
) -> dict[str, Any]:
    """One error's JSON: ``{code, message, message_en, …details}``."""
    message = message or CODE_MESSAGES_VI.get(code) or MESSAGES_VI.get(status, "Lỗi")
    return {"code": code, "message": message, "message_en": message_en, **details}


def _api_error(exc: ApiError):
    out = body(exc.code, exc.status, exc.message_en, message=exc.message, **exc.details)
    return jsonify(out), exc.status


def _invalid(exc: ValidationError):
    return jsonify(
        body("invalid_request", 422, "The request is not valid", errors=exc.messages)
    ), 422


def attach(bp: Blueprint) -> None:
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(ValidationError, _invalid)
