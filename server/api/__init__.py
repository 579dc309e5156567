"""The JSON API under ``/api/v1``: thin views over the services and the sync engine."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Routes and handlers attach themselves to ``bp`` when imported.
from . import (  # noqa: E402, F401
    compression,
    conflicts,
    devices,
    evidence,
    openapi,
    protocol,
    sync,
    users,
)


def register(app: Flask) -> None:
    # Token-authenticated, never cookie-authenticated: CSRF cannot ride on it.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(openapi.bp)  # outside /api/v1: no protocol header asked


protocol.attach(bp)
compression.attach(bp)
