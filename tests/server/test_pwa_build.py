"""Serving the built field app (decision 160): what the worker precaches comes from the
build's list, content-named files are immutable, the inlined stylesheet is allowed by its
hash and nothing else inline, and a build older than the sources is never served."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

from server.pwa import built

STYLE = "body{margin:0}"


def _build(root: Path) -> None:
    (root / "js" / "chunks").mkdir(parents=True)
    (root / "js" / "shared").mkdir(parents=True)
    (root / "js" / "sw").mkdir(parents=True)
    (root / "index.html").write_text(
        f"<!doctype html><style>{STYLE}</style>"
        '<script type="module" src="js/chunks/main-AAAA.js"></script>'
    )
    (root / "js" / "chunks" / "main-AAAA.js").write_text("export const a = 1;")
    (root / "js" / "shared" / "db.js").write_text("export const b = 2;")
    (root / "js" / "sw" / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (root / "manifest.webmanifest").write_text("{}")
    (root / "icon.svg").write_text("<svg/>")
    (root / "icon-192.png").write_bytes(b"\x89PNG")
    (root / "shell.json").write_text(json.dumps({"precache": ["js/chunks/main-AAAA.js"]}))


def test_the_worker_precaches_the_builds_list_and_content_named_files_are_immutable(
    app, client, tmp_path
):
    _build(tmp_path)
    app.config["PWA_DIR"] = str(tmp_path)
    worker = client.get("/app/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker).group(1))
    assert sorted(shell) == sorted(
        [
            "/app/",
            "/app/rules.json",
            "/app/js/chunks/main-AAAA.js",
            "/app/manifest.webmanifest",
            "/app/icon.svg",
        ]
    )
    chunk = client.get("/app/js/chunks/main-AAAA.js")
    assert chunk.status_code == 200
    assert "immutable" in chunk.headers["Cache-Control"]
    assert "no-cache" not in chunk.headers["Cache-Control"]
    copy = client.get("/app/js/shared/db.js")  # unbundled, not precached: revalidated
    assert copy.status_code == 200 and "no-cache" in copy.headers["Cache-Control"]


def _lists(worker: str) -> tuple[list[str], list[str]]:
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker).group(1))
    later = json.loads(re.search(r"const LATER = (\[.*?\]);", worker).group(1))
    return shell, later


def test_the_photo_chunks_are_fetched_after_install_not_precached(app, client, tmp_path):
    """Decision 190: the build's ``later`` (chunks only the photo code reaches) is not in
    the install's SHELL but in LATER; a build from before it has none."""
    _build(tmp_path)
    (tmp_path / "js" / "chunks" / "photos-BBBB.js").write_text("export const p = 1;")
    (tmp_path / "shell.json").write_text(
        json.dumps({"precache": ["js/chunks/main-AAAA.js"], "later": ["js/chunks/photos-BBBB.js"]})
    )
    app.config["PWA_DIR"] = str(tmp_path)
    shell, later = _lists(client.get("/app/sw.js").get_data(as_text=True))
    assert "/app/js/chunks/main-AAAA.js" in shell
    assert "/app/js/chunks/photos-BBBB.js" not in shell
    assert later == ["/app/js/chunks/photos-BBBB.js"]

    (tmp_path / "shell.json").write_text(json.dumps({"precache": ["js/chunks/main-AAAA.js"]}))
    assert _lists(client.get("/app/sw.js").get_data(as_text=True))[1] == []


def test_without_a_build_the_photo_modules_are_fetched_after_install(app, client, tmp_path):
    _build(tmp_path)
    (tmp_path / "shell.json").unlink()
    (tmp_path / "js" / "photo").mkdir()
    (tmp_path / "js" / "photo" / "photos.js").write_text("export const p = 1;")
    app.config["PWA_DIR"] = str(tmp_path)
    shell, later = _lists(client.get("/app/sw.js").get_data(as_text=True))
    assert "/app/js/shared/db.js" in shell
    assert not [u for u in shell if "/js/photo/" in u]
    assert later == ["/app/js/photo/photos.js"]


def test_only_the_inlined_stylesheet_is_allowed_by_its_hash(app, client, tmp_path):
    _build(tmp_path)
    app.config["PWA_DIR"] = str(tmp_path)
    policy = client.get("/app/").headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy


def test_a_build_older_than_the_sources_is_not_used(tmp_path):
    source, build = tmp_path / "pwa", tmp_path / "build"
    source.mkdir()
    (source / "app.css").write_text("a{}")
    assert not built(source, build)  # no build at all
    build.mkdir()
    (build / "shell.json").write_text('{"precache": []}')
    os.utime(source / "app.css", (1_000_000, 1_000_000))
    assert built(source, build)
    os.utime(source / "app.css", None)  # edited after the build
    os.utime(build / "shell.json", (1_000_000, 1_000_000))
    assert not built(source, build)
