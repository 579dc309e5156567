"""Watching it run: JSON log lines with a request id, Prometheus metrics behind a token,
the optional error-monitoring hook — each against the real thing (gunicorn, a local HTTP
receiver speaking Sentry's envelope protocol)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.world import activity_record

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "metrics-" + "t" * 32


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _scrape(client) -> dict[tuple[str, tuple], float]:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/plain")
    return _samples(resp.get_data(as_text=True))


@pytest.fixture
def metered(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


def test_metrics_page_is_not_there_without_the_token(metered, make_app, database_uri):
    client = metered.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # No token configured: no page, whatever is sent.
    bare = make_app(SQLALCHEMY_DATABASE_URI=database_uri, TESTING=True).test_client()
    assert bare.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_count_requests_sync_answers_and_what_waits_on_phones(metered, world):
    client = metered.test_client()
    before = _scrape(client)
    phone = world.phone("hoa")
    ok = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    refused = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b3"]))
    phone.push(ok, refused)
    phone.push(ok, refused)  # a retry: answered from the log
    phone.post(
        "/api/v1/sync/pull",
        {
            "device_id": str(phone.device_id),
            "cursor": None,
            "reference": None,
            "outbox": {"count": 3, "oldest": "2026-11-02T08:00:00+07:00"},
        },
    )
    after = _scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("sodoan_sync_pushes_total") == 2
    assert grew("sodoan_sync_pushes_by_device_total", device=str(phone.device_id)) == 2
    assert grew("sodoan_sync_mutations_total", collection="activities", status="applied") == 2
    assert grew("sodoan_sync_mutations_total", collection="activities", status="rejected") == 2
    assert grew("sodoan_sync_pull_pages_total", kind="full") == 1
    assert grew("sodoan_sync_pull_changes_total") == 1
    push = {"method": "POST", "endpoint": "api.push_view", "status": "200"}
    assert grew("sodoan_http_requests_total", **push) == 2
    timed = {"method": "POST", "endpoint": "api.push_view"}
    assert grew("sodoan_http_request_duration_seconds_count", **timed) == 2
    assert after[("sodoan_outbox_devices_waiting", ())] == 1
    assert after[("sodoan_outbox_entries_waiting", ())] == 3
    age = after[("sodoan_outbox_oldest_entry_age_seconds", ())]
    assert age > 30 * 24 * 3600  # 2 November, by the phone's clock


def test_metrics_count_a_resync_by_its_reason(metered, world):
    client = metered.test_client()
    before = _scrape(client)
    phone = world.phone("hoa")
    phone.pull(cursor="1.00000000.0.00000000", expect=409)
    after = _scrape(client)
    key = ("sodoan_sync_resync_required_total", (("reason", "epoch_changed"),))
    assert after.get(key, 0) - before.get(key, 0) == 1


@pytest.fixture
def gunicorn(database_uri, tmp_path):
    """The app under gunicorn, two workers, JSON logs and multiprocess metrics."""
    subprocess.run(
        [str(BIN / "flask"), "--app", "server", "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "k" * 40},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    log = (tmp_path / "server.log").open("w+")
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "k" * 40,
        "PYTHONPATH": str(ROOT),
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, log.read()
                time.sleep(0.1)
        yield base, log, metrics_dir
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_gunicorn_workers_log_json_lines_with_the_request_id(gunicorn):
    base, log, _dir = gunicorn
    given = "proxy-" + uuid.uuid4().hex[:16]
    assert requests.get(base + "/healthz", headers={"X-Request-ID": given}, timeout=5).ok
    missing = requests.get(base + "/no-such-page", timeout=5)
    assert missing.status_code == 404
    made = missing.headers["X-Request-ID"]
    assert len(made) == 32 and made != given
    # A success carries no id back (bytes on every poll), an error does.
    assert "X-Request-ID" not in requests.get(base + "/healthz", timeout=5).headers
    hostile = requests.get(base + "/nope", headers={"X-Request-ID": "a b;<x>"}, timeout=5)
    assert len(hostile.headers["X-Request-ID"]) == 32  # not taken: made anew
    time.sleep(0.3)
    log.seek(0)
    lines = [json.loads(line) for line in log.read().splitlines() if line.startswith("{")]
    access = [r for r in lines if r["logger"] == "sodoan.access"]
    assert {"timestamp", "level", "logger", "message", "request_id"} <= set(access[0])
    mine = [r for r in access if r["request_id"] == given]
    assert len(mine) == 1 and mine[0]["path"] == "/healthz" and mine[0]["status"] == 200
    assert [r["status"] for r in access if r["request_id"] == made] == [404]


def test_gunicorn_workers_metrics_add_up_across_workers(gunicorn):
    base, _log, metrics_dir = gunicorn
    auth = {"Authorization": f"Bearer {TOKEN}"}
    key = (
        "sodoan_http_requests_total",
        (("endpoint", "health.healthz"), ("method", "GET"), ("status", "200")),
    )
    start = _samples(requests.get(base + "/metrics", headers=auth, timeout=5).text)[key]
    from prometheus_client.mmap_dict import MmapedDict

    def counted(path: Path) -> bool:
        return any(
            "health.healthz" in key and value > 0
            for key, value, _ts, _pos in MmapedDict.read_all_values_from_file(str(path))
        )

    def healthz(_i: int) -> bool:
        return requests.get(base + "/healthz", timeout=5).ok

    # Which worker accepts a connection is the kernel's choice: one may take 40 in a row.
    # Requests go 20 at a time, a new connection each, until both workers have counted
    # some (a file of values each), within 400.
    sent = 0
    with ThreadPoolExecutor(20) as pool:
        while sent < 400:
            assert all(pool.map(healthz, range(20)))
            sent += 20
            if sum(counted(p) for p in metrics_dir.glob("counter_*.db")) == 2:
                break
    assert sum(counted(p) for p in metrics_dir.glob("counter_*.db")) == 2
    seen = set()
    for _ in range(6):  # …and whichever answers the scrape adds up both
        resp = requests.get(base + "/metrics", headers=auth, timeout=5)
        assert resp.status_code == 200
        seen.add(_samples(resp.text)[key])
    assert seen == {start + sent}


class _Receiver(BaseHTTPRequestHandler):
    got: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        elif self.headers.get("Content-Encoding") == "br":
            import brotli

            body = brotli.decompress(body)
        type(self).got.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_an_unhandled_error_reaches_the_monitoring_hook_without_personal_data(
    make_app, database_uri
):
    import sentry_sdk

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.got = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://public@127.0.0.1:{server.server_port}/1"
        app = make_app(SQLALCHEMY_DATABASE_URI=database_uri, SENTRY_DSN=dsn)

        @app.get("/boom")
        def boom():
            raise RuntimeError("the reactor is on fire")

        client = app.test_client()
        # Made at run time: the event's source context holds this file's own lines.
        cookie, query, header = (f"{uuid.uuid4().hex}-{i}" for i in range(3))
        client.set_cookie("session", cookie)
        resp = client.get(
            f"/boom?q={query}", headers={"X-Request-ID": "req-12345678", "X-Secret": header}
        )
        assert resp.status_code == 500
        sentry_sdk.flush(timeout=5)
        sent = b"\n".join(_Receiver.got).decode()
        assert "the reactor is on fire" in sent and "req-12345678" in sent
        for secret in (cookie, query, header):
            assert secret not in sent
    finally:
        sentry_sdk.init()  # no DSN: the hook is off again for the rest of the suite
        server.shutdown()
