"""Serving the field app (``pwa/``) at ``/app/``.

The service worker is generated here: it is the file the browser compares to find a new
version, so it carries a version made from the hash of every shell file (and of the
validation rules), plus the list of files to precache. Nobody has to remember to bump a
number, and a changed file can never be served from a stale cache as the current version.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from schemas.rules import phone_rules

PWA = Path(__file__).resolve().parent.parent / "pwa"
#: Not part of the precached shell: the worker itself.
_NOT_SHELL = ("js/sw/",)

bp = Blueprint("pwa", __name__, url_prefix="/app")


def _root() -> Path:
    return Path(current_app.config.get("PWA_DIR") or PWA)


def _fresh(resp: Response) -> Response:
    # The browser checks these on every visit; the worker's cache serves everything else.
    resp.cache_control.no_cache = True
    return resp


def _rules_json() -> bytes:
    return json.dumps(phone_rules(), ensure_ascii=False, sort_keys=True).encode()


def shell_files(root: Path) -> list[str]:
    """The shell's files, as paths relative to ``/app/``."""
    names = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    return [n for n in names if not n.startswith(_NOT_SHELL) and n != "index.html"]


def shell_version(root: Path) -> str:
    """A digest of everything the worker precaches: any change makes a new version."""
    digest = hashlib.sha256()
    for name in ["index.html", *shell_files(root)]:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    digest.update(_rules_json())
    return digest.hexdigest()[:12]


@bp.get("/")
def shell() -> Response:
    return _fresh(send_from_directory(_root(), "index.html"))


@bp.get("/sw.js")
def worker() -> Response:
    root = _root()
    urls = ["/app/", "/app/rules.json", *(f"/app/{n}" for n in shell_files(root))]
    version = json.dumps(shell_version(root))
    head = f"const VERSION = {version};\nconst SHELL = {json.dumps(urls)};\n"
    body = head + (root / "js" / "sw" / "sw.js").read_text(encoding="utf-8")
    resp = Response(body, mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/app/"
    return _fresh(resp)


@bp.get("/rules.json")
def rules() -> Response:
    return _fresh(Response(_rules_json(), mimetype="application/json"))


@bp.get("/<path:name>")
def asset(name: str) -> Response:
    mimetype = "application/manifest+json" if name.endswith(".webmanifest") else None
    return _fresh(send_from_directory(_root(), name, mimetype=mimetype))
