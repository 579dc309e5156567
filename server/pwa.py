"""Serving the field app (``pwa/``) at ``/app/``: static files, the service worker at the
root of its scope, and no caching of what decides updates (the worker and the shell)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

PWA = Path(__file__).resolve().parent.parent / "pwa"

bp = Blueprint("pwa", __name__, url_prefix="/app")


def _fresh(resp: Response) -> Response:
    # The browser checks these on every visit; the worker's cache serves everything else.
    resp.cache_control.no_cache = True
    return resp


@bp.get("/")
def shell() -> Response:
    return _fresh(send_from_directory(PWA, "index.html"))


@bp.get("/sw.js")
def worker() -> Response:
    resp = send_from_directory(PWA / "js" / "sw", "sw.js", mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/app/"
    return _fresh(resp)


@bp.get("/<path:name>")
def asset(name: str) -> Response:
    mimetype = "application/manifest+json" if name.endswith(".webmanifest") else None
    return _fresh(send_from_directory(PWA, name, mimetype=mimetype))
