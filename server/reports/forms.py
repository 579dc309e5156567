from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class ScheduleForm(FlaskForm):
    frequency = SelectField(
        _l("Kỳ báo cáo"),
        choices=[
            SelectChoice("monthly", _l("Hằng tháng")),
            SelectChoice("quarterly", _l("Hằng quý")),
        ],
        validators=[DataRequired()],
    )
    due_day = IntegerField(
        _l("Hạn nộp: ngày … của tháng sau"),
        validators=[
            InputRequired(_l("Vui lòng nhập ngày")),
            NumberRange(1, 28, _l("Ngày từ 1 đến 28")),
        ],
    )


class NominationForm(FlaskForm):
    kind = SelectField(
        _l("Đề nghị biểu dương"),
        choices=[SelectChoice("member", _l("Cá nhân")), SelectChoice("model", _l("Mô hình"))],
        validators=[DataRequired()],
    )
    name = StringField(
        _l("Họ tên đoàn viên hoặc tên mô hình"),
        validators=[
            DataRequired(_l("Vui lòng nhập tên")),
            Length(max=200, message=_l("Tối đa %(max)d ký tự")),
        ],
    )
    reason = TextAreaField(
        _l("Thành tích, lý do đề nghị"),
        validators=[
            DataRequired(_l("Vui lòng ghi thành tích")),
            Length(max=2000, message=_l("Tối đa %(max)d ký tự")),
        ],
    )


class TargetForm(FlaskForm):
    type_id = SelectField(_l("Loại hoạt động"), coerce=int)
    each_kind = SelectField(_l("Áp dụng cho"))
    activities = IntegerField(
        _l("Số hoạt động cần đạt"),
        validators=[
            InputRequired(_l("Vui lòng nhập số hoạt động")),
            NumberRange(1, 100_000, _l("Từ 1 đến 100.000")),
        ],
    )
