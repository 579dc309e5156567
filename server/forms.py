"""Small helpers shared by the dashboard's forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm


def flash_errors(form: FlaskForm) -> None:
    """Show every validation message of a form that was sent back, in Vietnamese."""
    for messages in form.errors.values():
        for message in messages:
            flash(message, "error")
