from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập hoặc số điện thoại",
        validators=[DataRequired("Vui lòng nhập tên đăng nhập"), Length(max=80)],
    )
    password = PasswordField(
        "Mật khẩu", validators=[DataRequired("Vui lòng nhập mật khẩu"), Length(max=200)]
    )
