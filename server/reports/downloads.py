"""The summary report's download, beside the report page's other exports.

Authorised like every export (the unit in the reader's subtree, else "not found"; a
period that cannot be read, 400), and recorded in the audit log like them.
"""

from __future__ import annotations

from flask import g

from .. import audit
from ..extensions import db
from .document import to_docx
from .export import attachment
from .summary import summarise
from .views import _period_or_400, _today, _unit_or_404, bp


@bp.get("/<int:unit_id>/summary.docx")
def summary(unit_id: int):
    unit = _unit_or_404(unit_id)
    period = _period_or_400()
    body = to_docx(summarise(unit, period, _today(), g.user))
    audit.record("report.summary", actor=g.user, target=("unit", unit.id), period=period.code)
    db.session.commit()
    return attachment(body, "docx", f"so-doan-bao-cao-{unit.code}-{period.code}")
