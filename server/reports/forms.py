from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class ScheduleForm(FlaskForm):
    frequency = SelectField(
        "Kỳ báo cáo",
        choices=[SelectChoice("monthly", "Hằng tháng"), SelectChoice("quarterly", "Hằng quý")],
        validators=[DataRequired()],
    )
    due_day = IntegerField(
        "Hạn nộp: ngày … của tháng sau",
        validators=[
            InputRequired("Vui lòng nhập ngày"),
            NumberRange(1, 28, "Ngày từ 1 đến 28"),
        ],
    )


class NominationForm(FlaskForm):
    kind = SelectField(
        "Đề nghị biểu dương",
        choices=[SelectChoice("member", "Cá nhân"), SelectChoice("model", "Mô hình")],
        validators=[DataRequired()],
    )
    name = StringField(
        "Họ tên đoàn viên hoặc tên mô hình",
        validators=[DataRequired("Vui lòng nhập tên"), Length(max=200, message="Tối đa 200 ký tự")],
    )
    reason = TextAreaField(
        "Thành tích, lý do đề nghị",
        validators=[
            DataRequired("Vui lòng ghi thành tích"),
            Length(max=2000, message="Tối đa 2000 ký tự"),
        ],
    )


class TargetForm(FlaskForm):
    type_id = SelectField("Loại hoạt động", coerce=int)
    each_kind = SelectField("Áp dụng cho")
    activities = IntegerField(
        "Số hoạt động cần đạt",
        validators=[
            InputRequired("Vui lòng nhập số hoạt động"),
            NumberRange(1, 100_000, "Từ 1 đến 100.000"),
        ],
    )
