from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form
from .passwords import MIN_PASSWORD_LENGTH


class LoginForm(Form):
    username = StringField(
        _l("Tên đăng nhập hoặc số điện thoại"),
        validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập")), Length(max=80)],
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu")), Length(max=200)]
    )


class PasswordForm(Form):
    current = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại")), Length(max=200)],
    )
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[
            DataRequired(_l("Vui lòng nhập mật khẩu mới")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Ít nhất %(min)d ký tự"),
            ),
        ],
    )
    again = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(_l("Vui lòng nhập lại")),
            EqualTo("new", _l("Hai lần nhập không khớp")),
        ],
    )
