"""Serving the field app (``pwa/``) at ``/app/``.

The service worker is generated here: it is the file the browser compares to find a new
version, so it carries a version made from the hash of every shell file (and of the
validation rules), plus the list of files to precache. Nobody has to remember to bump a
number, and a changed file can never be served from a stale cache as the current version.

What is served is the build (``build/pwa/``, made by ``scripts/build_pwa.mjs`` from
``pwa/``, run by ``make install``/``make run``/``make test``): a few bundled files instead of
twenty modules, which on 2G is the difference between offline-ready in 11 s and in 5 s. Its
``shell.json`` says what the worker precaches before it installs (``precache``) and what it
fetches into the same cache once it controls the page (``later``: the photo code, decision
190; each round of install fetches is another 800 ms on 2G). Without a build, or with one
older than a source file (someone edited ``pwa/`` and did not rebuild), the sources are
served as they are: slower on 2G, never stale.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.security import safe_join

from schemas.rules import phone_rules
from server.security import CSP

PWA = Path(__file__).resolve().parent.parent / "pwa"
#: Where ``npm run build`` puts the bundled app.
BUILD = PWA.parent / "build" / "pwa"
#: Not part of the precached shell: the worker itself.
_NOT_SHELL = ("js/sw/",)
#: Without a build: the modules the worker fetches once it controls the page, not at
#: install (the build's ``later``, made from its import graph; decision 190).
_LATER = ("js/photo/",)

bp = Blueprint("pwa", __name__, url_prefix="/app")


def _newest(root: Path) -> float:
    return max((p.stat().st_mtime for p in root.rglob("*") if p.is_file()), default=0.0)


def built(source: Path = PWA, build: Path = BUILD) -> bool:
    """Whether the build exists and no source file changed since it was made."""
    stamp = build / "shell.json"
    return stamp.is_file() and stamp.stat().st_mtime >= _newest(source)


_warned: list[bool] = []


def _root() -> Path:
    if current_app.config.get("PWA_DIR"):
        return Path(current_app.config["PWA_DIR"])
    if built():
        return BUILD
    if (BUILD / "shell.json").is_file() and not _warned:
        _warned.append(True)
        current_app.logger.warning(
            "build/pwa/ is older than pwa/: serving the sources (run `make pwa`)"
        )
    return PWA


def _fresh(resp: Response) -> Response:
    # The browser revalidates these (a 304 costs headers only); the worker's cache serves
    # them offline. Built in memory rather than streamed, so they are compressed on the way
    # out: on 2G the shell's gzip is the difference between 80 KB and 30 KB.
    resp.cache_control.no_cache = True
    resp.set_etag(hashlib.sha256(resp.get_data()).hexdigest()[:20])
    return resp.make_conditional(request)


def _file(root: Path, name: str, mimetype: str | None = None) -> Response:
    path = safe_join(str(root), name)
    if path is None or not Path(path).is_file():
        abort(404)
    guessed = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("javascript", "json", "+xml")):
        guessed = f"{guessed}; charset=utf-8"
    return _fresh(Response(Path(path).read_bytes(), content_type=guessed))


def _rules_json() -> bytes:
    return json.dumps(phone_rules(), ensure_ascii=False, sort_keys=True).encode()


def _listed(root: Path) -> dict | None:
    listed = root / "shell.json"
    return json.loads(listed.read_text(encoding="utf-8")) if listed.is_file() else None


def _app_files(root: Path) -> list[str]:
    """Without a build: every file the app may load (sorted), the worker and page aside."""
    names = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    # The PNG icons are for the install prompt, fetched online by the browser: not needed
    # to open the app offline, so not worth their bytes on a first visit over 2G.
    return [
        n
        for n in names
        if not n.startswith(_NOT_SHELL) and n != "index.html" and not n.endswith(".png")
    ]


def shell_files(root: Path) -> list[str]:
    """The shell's files, as paths relative to ``/app/``: what the worker caches before it
    installs. The build's list, or every file but the photo code."""
    listed = _listed(root)
    if listed is not None:
        # The bundle and its chunks, and what every page load asks for (the manifest and
        # the SVG icon: without them a repeat visit would cost their 304s); not the
        # unbundled modules copied beside it (tests and people import those, the app does
        # not; the worker keeps them once fetched through it) nor the PNG icons.
        return sorted({*listed["precache"], "manifest.webmanifest", "icon.svg"})
    return [n for n in _app_files(root) if not n.startswith(_LATER)]


def later_files(root: Path) -> list[str]:
    """What the worker fetches into its cache once it controls the page (decision 190):
    the build's ``later`` (a build from before it has none), or the photo modules."""
    listed = _listed(root)
    if listed is not None:
        return sorted(listed.get("later", []))
    return [n for n in _app_files(root) if n.startswith(_LATER)]


def shell_version(root: Path) -> str:
    """A digest of everything the worker precaches: any change makes a new version."""
    digest = hashlib.sha256()
    every = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    for name in every:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    digest.update(_rules_json())
    return digest.hexdigest()[:12]


#: The page's module graph: its own modules and those it shares with the worker.
_PAGE_MODULES = ("js/page/", "js/shared/")


def _modules(root: Path) -> list[str]:
    return [n for n in shell_files(root) if n.startswith(_PAGE_MODULES) and n.endswith(".js")]


@bp.get("/")
def shell() -> Response:
    root = _root()
    # Every module is asked for at once, rather than found import by import: on 2G each
    # level of the import graph would cost another 800 ms round trip.
    preload = "\n".join(f'  <link rel="modulepreload" href="{n}">' for n in _modules(root))
    html = (root / "index.html").read_text(encoding="utf-8")
    html = html.replace("  <!-- modulepreload -->", preload)
    resp = Response(html, content_type="text/html; charset=utf-8")
    # The build inlines app.css (a stylesheet request blocked the first paint on 2G): the
    # policy allows that one style by its hash, and still no other inline style or script.
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    if styles:
        hashes = " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
            for s in styles
        )
        resp.headers["Content-Security-Policy"] = CSP.replace(
            "style-src 'self'", f"style-src 'self' {hashes}"
        )
    return _fresh(resp)


@bp.get("/sw.js")
def worker() -> Response:
    root = _root()
    urls = ["/app/", "/app/rules.json", *(f"/app/{n}" for n in shell_files(root))]
    later = [f"/app/{n}" for n in later_files(root)]
    version = json.dumps(shell_version(root))
    head = (
        f"const VERSION = {version};\nconst SHELL = {json.dumps(urls)};\n"
        f"const LATER = {json.dumps(later)};\n"
    )
    body = head + (root / "js" / "sw" / "sw.js").read_text(encoding="utf-8")
    resp = Response(body, content_type="text/javascript; charset=utf-8")
    resp.headers["Service-Worker-Allowed"] = "/app/"
    return _fresh(resp)


@bp.get("/rules.json")
def rules() -> Response:
    return _fresh(Response(_rules_json(), content_type="application/json; charset=utf-8"))


#: The build's files named by their content (scripts/build_pwa.mjs): never change.
_IMMUTABLE = "js/chunks/"


@bp.get("/<path:name>")
def asset(name: str) -> Response:
    mimetype = "application/manifest+json" if name.endswith(".webmanifest") else None
    resp = _file(_root(), name, mimetype)
    if name.startswith(_IMMUTABLE) and resp.status_code == 200:
        # A new content is a new name: the browser keeps these for good, so the worker's
        # precache takes what the page just loaded from the HTTP cache (no 2G round trip).
        resp.cache_control.no_cache = None
        resp.cache_control.public = True
        resp.cache_control.max_age = 31_536_000
        resp.cache_control.immutable = True
    return resp
