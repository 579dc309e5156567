"""Small helpers shared by the dashboard's forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from .i18n import WTFORMS_MESSAGES, translated


class Form(FlaskForm):
    """A dashboard form: WTForms' own messages (a missing field, a bad date) in the page's
    language, which WTForms cannot do for Vietnamese by itself."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> object:
            return WTFORMS_MESSAGES


def flash_errors(form: FlaskForm) -> None:
    """Show every validation message of a form that was sent back, in the page's language."""
    for messages in form.errors.values():
        for message in messages:
            flash(translated(str(message)), "error")
