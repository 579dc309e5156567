from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class PersonForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập (thường là số điện thoại)",
        validators=[DataRequired("Vui lòng nhập tên đăng nhập"), Length(max=80)],
    )
    full_name = StringField(
        "Họ và tên", validators=[DataRequired("Vui lòng nhập họ tên"), Length(max=120)]
    )
    role = SelectField("Vai trò", validators=[DataRequired()])
    unit_id = SelectField("Đơn vị", coerce=int, validators=[DataRequired()])
    password = PasswordField(
        "Mật khẩu (để trống nếu dùng mã kích hoạt)",
        validators=[Optional(), Length(min=8, max=200, message="Ít nhất 8 ký tự")],
    )


class ChangeForm(FlaskForm):
    role = SelectField("Vai trò", validators=[DataRequired()])
    unit_id = SelectField("Đơn vị", coerce=int, validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes something: the form exists for its CSRF token."""
