from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange


class ScheduleForm(FlaskForm):
    frequency = SelectField(
        "Kỳ báo cáo",
        choices=[SelectChoice("monthly", "Hằng tháng"), SelectChoice("quarterly", "Hằng quý")],
        validators=[DataRequired()],
    )
    due_day = IntegerField(
        "Hạn nộp: ngày … của tháng sau",
        validators=[
            DataRequired("Vui lòng nhập ngày"),
            NumberRange(1, 28, "Ngày từ 1 đến 28"),
        ],
    )
