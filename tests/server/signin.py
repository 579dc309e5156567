"""Helpers for the sign-in tests: clients at given addresses, real servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests import factories as f
from tests.world import HEADERS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def client_from(app: Any, address: str) -> Any:
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in_device(client: Any, username: str, password: str = f.PASSWORD) -> Any:
    return client.post(
        "/api/v1/devices",
        headers=HEADERS,
        json={"username": username, "password": password, "device_id": str(uuid.uuid4())},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    database_uri: str, workdir: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serve the app with gunicorn (as the Procfile does) on a free port; yield its URL."""
    port = free_port()
    log = (workdir / f"gunicorn-{port}.log").open("w+")
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--preload",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "server:create_app()",
        ],
        env={
            **os.environ,
            "DATABASE_URL": database_uri,
            "SECRET_KEY": "signin-tests-" + "k" * 40,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        },
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn stopped: {log.read()}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
