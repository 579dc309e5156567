from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .passwords import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập hoặc số điện thoại",
        validators=[DataRequired("Vui lòng nhập tên đăng nhập"), Length(max=80)],
    )
    password = PasswordField(
        "Mật khẩu", validators=[DataRequired("Vui lòng nhập mật khẩu"), Length(max=200)]
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Mật khẩu hiện tại",
        validators=[DataRequired("Vui lòng nhập mật khẩu hiện tại"), Length(max=200)],
    )
    new = PasswordField(
        "Mật khẩu mới",
        validators=[
            DataRequired("Vui lòng nhập mật khẩu mới"),
            Length(
                min=MIN_PASSWORD_LENGTH, max=200, message=f"Ít nhất {MIN_PASSWORD_LENGTH} ký tự"
            ),
        ],
    )
    again = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[DataRequired("Vui lòng nhập lại"), EqualTo("new", "Hai lần nhập không khớp")],
    )
