from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.passwords import MIN_PASSWORD_LENGTH
from ..forms import Form


class PersonForm(Form):
    username = StringField(
        _l("Tên đăng nhập (thường là số điện thoại)"),
        validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập")), Length(max=80)],
    )
    full_name = StringField(
        _l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên")), Length(max=120)]
    )
    role = SelectField(_l("Vai trò"), validators=[DataRequired()])
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validators=[DataRequired()])
    password = PasswordField(
        _l("Mật khẩu (để trống nếu dùng mã kích hoạt)"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Ít nhất %(min)d ký tự"),
            ),
        ],
    )


class ChangeForm(Form):
    role = SelectField(_l("Vai trò"), validators=[DataRequired()])
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validators=[DataRequired()])


class ActionForm(Form):
    """A button that changes something: the form exists for its CSRF token."""
