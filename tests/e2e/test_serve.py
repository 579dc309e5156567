"""The real stack: migrate with the CLI, serve with gunicorn, sign in over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(database_uri, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "e2e-" + "k" * 40,
        "PYTHONPATH": str(ROOT),
    }

    def flask(*args: str) -> None:
        subprocess.run(
            [str(BIN / "flask"), "--app", "server", *args],
            env=env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=120,
        )

    flask("db", "upgrade")
    flask("seed-catalogue")
    subprocess.run(
        [
            str(BIN / "python"),
            "-c",
            "from server import create_app; from server.extensions import db; "
            "from tests.factories import unit, user; app = create_app();\n"
            "with app.app_context():\n"
            "    root = unit('CB', None, 'province', name='Tỉnh Đoàn Cao Bằng')\n"
            "    user('0912000001', unit('CB-01', root, name='Chi đoàn xóm Nà Lủng'),"
            " full_name='Nông Thị Hoa')\n"
            "    db.session.commit()",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--preload",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "server:create_app()",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read())
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()


def test_gunicorn_serves_health_and_a_member_signs_in(served):
    assert requests.get(served + "/healthz", timeout=5).json() == {"status": "ok", "database": "ok"}
    with requests.Session() as s:
        page = s.get(served + "/login", timeout=5).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = s.post(
            served + "/login",
            timeout=10,
            data={"username": "0912000001", "password": "mat-khau-thu-nghiem", "csrf_token": token},
        )
        assert resp.status_code == 200 and resp.url == served + "/"
        assert "Nông Thị Hoa" in resp.text and "Chi đoàn xóm Nà Lủng" in resp.text
        cookie = next(c for c in s.cookies if c.name == "session")
        assert cookie.has_nonstandard_attr("HttpOnly")
