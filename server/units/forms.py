from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from ..forms import Form
from ..i18n import pick
from ..models import UNIT_KIND_LABELS


class DatedForm(Form):
    effective_on = DateField(
        _l("Có hiệu lực từ ngày"), default=date.today, validators=[DataRequired()]
    )


class RenameForm(DatedForm):
    name = StringField(_l("Tên mới"), validators=[DataRequired(), Length(max=200)])


class MoveForm(DatedForm):
    parent_id = SelectField(_l("Chuyển về trực thuộc"), coerce=int)


class MergeForm(DatedForm):
    target_id = SelectField(_l("Sáp nhập vào"), coerce=int)


class CloseForm(DatedForm):
    pass


class ChildForm(DatedForm):
    code = StringField(
        _l("Mã đơn vị"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(
                r"^[A-Z0-9-]+$",
                message=_l("Chỉ dùng chữ in hoa không dấu, số và dấu gạch ngang"),
            ),
        ],
    )
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Loại"))
    border_area = BooleanField(_l("Khu vực biên giới"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The kinds' names in the page's language, so chosen per request.
        self.kind.choices = [SelectChoice(k.value, pick(v)) for k, v in UNIT_KIND_LABELS.items()]
