from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from .service import MAX_COMMENT


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("Nhận xét gửi chi đoàn (bắt buộc)"),
        validators=[Length(max=MAX_COMMENT, message=_l("Tối đa %(max)d ký tự"))],
    )


class DecisionForm(FlaskForm):
    """A button that takes a decision: the form exists for its CSRF token."""
