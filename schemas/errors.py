"""Validation errors with a stable code and a Vietnamese and an English message.

Every error a person may see is one of these, so the phone can show the Vietnamese text
and a program can branch on ``code``. ``{…}`` placeholders are filled from the params.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Bắt buộc phải nhập", "This field is required"),
    "null": ("Không được để trống", "May not be empty"),
    "invalid": ("Giá trị không hợp lệ", "Invalid value"),
    "not_a_string": ("Phải là chữ", "Must be text"),
    "not_an_integer": ("Phải là số nguyên", "Must be a whole number"),
    "not_a_number": ("Phải là số", "Must be a number"),
    "not_a_date": ("Ngày không hợp lệ (dd/mm/yyyy)", "Not a valid date"),
    "not_a_datetime": ("Thời điểm không hợp lệ", "Not a valid date and time"),
    "not_a_uuid": ("Mã định danh không hợp lệ", "Not a valid UUID"),
    "not_a_mapping": ("Phải là một bảng giá trị", "Must be an object"),
    "not_a_list": ("Phải là một danh sách", "Must be a list"),
    "unknown_field": ("Trường không được hỗ trợ", "Unknown field"),
    "too_long": ("Quá dài (tối đa {max} ký tự)", "Too long (at most {max} characters)"),
    "blank": ("Không được để trống", "May not be blank"),
    "too_small": ("Không được nhỏ hơn {min}", "Must be at least {min}"),
    "too_large": ("Không được lớn hơn {max}", "Must be at most {max}"),
    "not_one_of": ("Phải là một trong: {choices}", "Must be one of: {choices}"),
    "ends_before_start": (
        "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu",
        "The end date must not be before the start date",
    ),
    "date_out_of_range": (
        "Ngày phải nằm trong khoảng {min} – {max}",
        "The date must be between {min} and {max}",
    ),
    "unknown_type": ("Loại hoạt động không tồn tại", "Unknown activity type"),
    "type_inactive": ("Loại hoạt động đã ngừng sử dụng", "This activity type is no longer used"),
    "unknown_quantity": (
        "Loại hoạt động này không có chỉ tiêu “{quantity}”",
        "This activity type has no quantity “{quantity}”",
    ),
    "participants_exceed": (
        "Số người tham gia không hợp lý",
        "The number of participants is implausible",
    ),
    "not_lowercase_hex": (
        "Phải là 64 chữ số thập lục phân viết thường",
        "Must be 64 lowercase hexadecimal digits",
    ),
    "immutable": ("Không được thay đổi sau khi tạo", "May not change after the record is made"),
    # Sync: why one mutation was not applied.
    "validation_failed": ("Dữ liệu chưa hợp lệ, vui lòng sửa lại", "The record is not valid"),
    "unknown_collection": ("Loại dữ liệu không được hỗ trợ", "Unknown collection"),
    "blocked_by_rejected": (
        "Không áp dụng vì thay đổi trước đó (số {n}) của bản ghi này bị từ chối",
        "Not applied: an earlier change (number {n}) of this record was rejected",
    ),
    "forbidden": ("Bạn không có quyền ghi dữ liệu này", "You may not write this record"),
    "record_verified": (
        "Hoạt động đã được xác nhận, không thể sửa hoặc xoá từ điện thoại",
        "This activity has been verified and can no longer be changed from a phone",
    ),
    "unit_closed": (
        "Đơn vị đã giải thể hoặc sáp nhập vào ngày hoạt động",
        "The unit was closed or merged on the activity's date",
    ),
    "storage_refused": (
        "Máy chủ không lưu được bản ghi này; đã giữ lại để cán bộ kiểm tra",
        "The server could not store this record; it is kept for staff to look at",
    ),
    "status_not_allowed": (
        "Chỉ cán bộ xét duyệt mới được xác nhận hoặc trả lại hoạt động",
        "Only reviewers may verify or return an activity",
    ),
    "date_in_future": (
        "Ngày hoạt động không được sau hôm nay quá {days} ngày",
        "The activity date may not be more than {days} days ahead",
    ),
    # Evidence photos (PROTOCOL §9).
    "activity_unknown": (
        "Hoạt động của ảnh không tồn tại hoặc đã bị xoá",
        "The photo's activity does not exist or was deleted",
    ),
    "quota_exceeded": (
        "Chi đoàn đã dùng hết dung lượng lưu ảnh ({quota_mb} MB); ảnh vẫn được giữ trên máy",
        "The branch's photo storage is full ({quota_mb} MB); the photo stays on the phone",
    ),
}


def problem(code: str, **params: Any) -> dict[str, Any]:
    """One structured error: ``{"code", "message", "message_en"}`` plus its params."""
    vi, en = MESSAGES[code]
    out: dict[str, Any] = {
        "code": code,
        "message": vi.format(**params),
        "message_en": en.format(**params),
    }
    if params:
        out["params"] = params
    return out


def fail(code: str, **params: Any) -> ValidationError:
    """A ValidationError carrying one structured problem (raise it)."""
    return ValidationError([problem(code, **params)])
