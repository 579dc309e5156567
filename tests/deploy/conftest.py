"""The documented deployment, started for real: gunicorn with deploy/gunicorn.conf.py and
Debian's nginx with deploy/nginx/sodoan.conf, each on free ports in a temporary directory.

nginx runs as a non-daemon child (its own prefix, pid file, logs and temporary paths); as
root (how `make test` runs here) its workers stay root so they can write those paths. The
site file is used as shipped: only its ports, upstream and certificate paths are replaced,
and each replacement must match exactly once, so a changed file cannot go untested.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SITE = ROOT / "deploy" / "nginx" / "sodoan.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The http{} block of Debian's /etc/nginx/nginx.conf, which the site file is included in,
# with this test's own paths (the real one writes to /var/log/nginx and /run).
MAIN_CONF = """\
daemon off;
{user}
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {dir}/access.log;
    gzip on;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/sodoan.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_served(url: str, proc: subprocess.Popen, log: Path, **kw) -> None:
    for _ in range(300):
        try:
            if requests.get(url, timeout=2, **kw).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate, key)."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


@dataclass
class Gunicorn:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def gunicorn(database_uri: str, tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start ``gunicorn -c deploy/gunicorn.conf.py 'server:create_app()'`` (the Procfile's
    web line) on this test's database; extra command-line settings come after the file's."""
    started: list[Gunicorn] = []

    def start(*args: str, **env: str) -> Gunicorn:
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        environ = {
            **os.environ,
            "DATABASE_URL": database_uri,
            "SECRET_KEY": "deploy-test-" + "k" * 40,
            "PYTHONPATH": str(ROOT),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            **env,
        }
        environ.pop("GUNICORN_CMD_ARGS", None)
        with log.open("w") as out:
            proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), *args, "server:create_app()"],
                env=environ,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = Gunicorn(port, proc, log)
        started.append(served)
        wait_until_served(served.url + "/healthz", proc, log)
        return served

    yield start
    for served in started:
        stop(served.proc, signal.SIGQUIT)  # quick: the test is over


@dataclass
class Nginx:
    https_port: int
    http_port: int
    dir: Path
    proc: subprocess.Popen
    cafile: str

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def log(self) -> str:
        return (self.dir / "error.log").read_text()


def render_site(upstream: int, https_port: int, http_port: int, cert: tuple[str, str]) -> str:
    site = SITE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;\n    listen [::]:80;", f"listen 127.0.0.1:{http_port};"),
        (
            "listen 443 ssl http2;\n    listen [::]:443 ssl http2;",
            f"listen 127.0.0.1:{https_port} ssl http2;",
        ),
        ("/etc/letsencrypt/live/sodoan.example.vn/fullchain.pem", cert[0]),
        ("/etc/letsencrypt/live/sodoan.example.vn/privkey.pem", cert[1]),
    ):
        assert site.count(old) == 1, f"deploy/nginx/sodoan.conf no longer has {old!r} once"
        site = site.replace(old, new)
    return site


@pytest.fixture
def nginx(tmp_path: Path, certificate: tuple[str, str]) -> Iterator[Callable[[int], Nginx]]:
    """Start Debian's nginx with deploy/nginx/sodoan.conf in front of ``upstream``."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail("nginx is not installed: `make nginx` installs Debian's (make test does)")
    started: list[Nginx] = []

    def start(upstream: int) -> Nginx:
        where = tmp_path / "nginx"
        where.mkdir()
        https_port, http_port = free_port(), free_port()
        (where / "sodoan.conf").write_text(
            render_site(upstream, https_port, http_port, certificate)
        )
        user = "user root;" if os.geteuid() == 0 else ""
        (where / "nginx.conf").write_text(MAIN_CONF.format(dir=where, user=user))
        proc = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(where),
                "-c",
                str(where / "nginx.conf"),
                "-e",
                str(where / "error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        served = Nginx(https_port, http_port, where, proc, certificate[0])
        started.append(served)
        wait_until_served(served.url + "/healthz", proc, where / "error.log", verify=served.cafile)
        return served

    yield start
    for served in started:
        stop(served.proc)
