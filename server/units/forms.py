from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from ..models import UNIT_KIND_LABELS

ON = "Có hiệu lực từ ngày"


class DatedForm(FlaskForm):
    effective_on = DateField(ON, default=date.today, validators=[DataRequired()])


class RenameForm(DatedForm):
    name = StringField("Tên mới", validators=[DataRequired(), Length(max=200)])


class MoveForm(DatedForm):
    parent_id = SelectField("Chuyển về trực thuộc", coerce=int)


class MergeForm(DatedForm):
    target_id = SelectField("Sáp nhập vào", coerce=int)


class CloseForm(DatedForm):
    pass


class ChildForm(DatedForm):
    code = StringField(
        "Mã đơn vị",
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Z0-9-]+$", message="Chỉ dùng chữ in hoa không dấu, số và dấu gạch ngang"),
        ],
    )
    name = StringField("Tên đơn vị", validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        "Loại", choices=[SelectChoice(k.value, v[0]) for k, v in UNIT_KIND_LABELS.items()]
    )
    border_area = BooleanField("Khu vực biên giới")
