"""Phones on GPRS-class links pushing week-long backlogs while others sync (issue 11).

    .venv/bin/python bench/slowlink_bench.py [--quick]

The documented deployment, started as tests/deploy does: Debian's nginx with
deploy/nginx/sodoan.conf (TLS, a self-signed certificate) in front of gunicorn with
deploy/gunicorn.conf.py (2 processes × 4 threads, ``TRUSTED_PROXIES=1``), on a fresh
PostgreSQL database. Then, at once:

- 20 slow phones, each behind its own throttling relay (tests/deploy/links.py: 50 kbit/s
  up, 100 kbit/s down, 800 ms each way, its own loopback address), sign in and push a
  200-entry backlog with long descriptions as one gzipped request;
- 20 fast devices (straight to nginx) sync over and over — one new record pushed, then
  pulls until caught up — until every slow push has been answered.

Printed: backlog sizes, how long the uploads took, fast devices' latency p50/p95/p99 (target:
p95 under 1 s), errors, and the check that every slow backlog (and every fast record) is
stored exactly once. Exit status 1 if a check or the p95 target fails. ``--quick``: 5 slow
phones with 50 entries each and 5 fast devices.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.load_bench import start_server, stop  # noqa: E402
from bench.sync_bench import Database, cpu_model, free_port, pct, run  # noqa: E402
from tests.deploy.conftest import MAIN_CONF, NGINX, render_site  # noqa: E402
from tests.deploy.links import Link, Links  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "mat-khau-thu-nghiem"  # tests.factories.PASSWORD
UP, DOWN, LATENCY = 50_000 / 8, 100_000 / 8, 0.8  # bytes/s, bytes/s, seconds each way
TARGET_P95_MS = 1000

SEED = r"""
import json, sys
from server import create_app
from server.extensions import db
from server.models import UnitKind
from tests import factories as f

slow, fast = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    f.activity_type()
    province = f.unit("SLOW", None, UnitKind.PROVINCE, name="Tỉnh Đoàn (mạng chậm)")
    commune = f.unit("SLOW-X", province, UnitKind.COMMUNE, name="Đoàn xã biên giới")
    branches = [f.unit(f"SLOW-X-{b}", commune, name=f"Chi đoàn bản {b}") for b in range(4)]
    db.session.flush()
    out = {}
    for kind, count in (("slow", slow), ("fast", fast)):
        for i in range(count):
            branch = branches[i % 4]
            f.user(f"{kind}-{i:02d}", branch, full_name=f"Đoàn viên {kind} {i}")
            out[f"{kind}-{i:02d}"] = branch.id
    db.session.commit()
print("SLOW " + json.dumps(out))
"""


def syllables(rng: random.Random) -> list[str]:
    """Words for descriptions: enough of them that gzip cannot make a week of notes small
    (the issue's 120–300 KB for 200 entries)."""
    onsets = "b c ch d đ g gh h k kh l m n ng nh p ph qu r s t th tr v x".split()
    rhymes = "a à á ả ã ạ ai ao an ang anh ăn âm ây e ê i o ô ơ u ư ung ương iêu oai uyên".split()
    return [rng.choice(onsets) + rng.choice(rhymes) for _ in range(3000)]


def backlog(device: str, unit: int, seed: int, size: int) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    words = syllables(rng)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(size)]
    mutations = [
        {
            "n": n,
            "collection": "activities",
            "op": "upsert",
            "id": rid,
            "base_version": None,
            "record": {
                "unit_id": unit,
                "type": "thu_bay_tinh_nguyen",
                "title": f"Hoạt động tình nguyện số {n}",
                "starts_on": "2026-11-21",
                "ends_on": "2026-11-21",
                "place": "Nhà văn hóa bản",
                "members_count": rng.randint(1, 40),
                "citizens_served": rng.randint(0, 300),
                "volunteer_hours": "24.0",
                "quantities": {},
                "description": " ".join(rng.choice(words) for _ in range(500)),
                "status": "submitted",
                "recorded_at": "2026-11-21T09:30:00+07:00",
            },
        }
        for n, rid in enumerate(ids, start=1)
    ]
    body = json.dumps({"device_id": device, "mutations": mutations}, ensure_ascii=False)
    return gzip.compress(body.encode()), ids


def sign_in(http: requests.Session, base: str, username: str, cafile: str) -> tuple[str, str]:
    device = str(uuid.uuid4())
    r = http.post(
        base + "/api/v1/devices",
        json={
            "username": username,
            "password": PASSWORD,
            "device_id": device,
            "device_name": "điện thoại",
        },
        headers={"Sodoan-Protocol": "1"},
        verify=cafile,
        timeout=300,
    )
    r.raise_for_status()
    return device, r.json()["token"]


class Nginx:
    """Debian's nginx with the site file as shipped, as tests/deploy starts it."""

    def __init__(self, where: Path, upstream: int) -> None:
        where.mkdir()
        self.dir = where
        cert, key = where / "cert.pem", where / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
            + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
            + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.cafile = str(cert)
        self.port, http_port = free_port(), free_port()
        (where / "sodoan.conf").write_text(
            render_site(upstream, self.port, http_port, (str(cert), str(key)))
        )
        user = "user root;" if os.geteuid() == 0 else ""
        (where / "nginx.conf").write_text(MAIN_CONF.format(dir=where, user=user))
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(where), "-c", str(where / "nginx.conf"), "-e", "error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                r = requests.get(self.url + "/healthz", verify=self.cafile, timeout=2)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError((where / "error.log").read_text()[-2000:])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


class Fast:
    """A device on a good link, syncing until told to stop."""

    def __init__(self, base: str, username: str, unit: int, cafile: str) -> None:
        self.base, self.unit, self.cafile = base, unit, cafile
        self.http = requests.Session()
        self.device, token = sign_in(self.http, base, username, cafile)
        self.http.headers.update({"Sodoan-Protocol": "1", "Authorization": f"Bearer {token}"})
        self.n, self.cursor = 0, None
        self.ms: list[float] = []
        self.errors: list[str] = []
        self.pushed: list[str] = []

    def post(self, path: str, body: dict) -> dict | None:
        started = time.perf_counter()
        try:
            r = self.http.post(self.base + path, json=body, verify=self.cafile, timeout=60)
        except requests.RequestException as exc:
            self.errors.append(f"{path}: {exc}")
            return None
        self.ms.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            self.errors.append(f"{path}: {r.status_code} {r.text[:200]}")
            return None
        return r.json()

    def run(self, done: threading.Event, rng: random.Random) -> None:
        while not done.is_set():
            self.n += 1
            rid = str(uuid.uuid4())
            out = self.post(
                "/api/v1/sync/push",
                {
                    "device_id": self.device,
                    "mutations": [
                        {
                            "n": self.n,
                            "collection": "activities",
                            "op": "upsert",
                            "id": rid,
                            "base_version": None,
                            "record": {
                                "unit_id": self.unit,
                                "type": "thu_bay_tinh_nguyen",
                                "title": f"Sinh hoạt chi đoàn {rid[:8]}",
                                "starts_on": "2026-11-28",
                                "ends_on": "2026-11-28",
                                "place": "Nhà văn hóa",
                                "members_count": 9,
                                "citizens_served": 0,
                                "volunteer_hours": "9.0",
                                "quantities": {},
                                "description": "",
                                "status": "submitted",
                                "recorded_at": "2026-11-28T09:30:00+07:00",
                            },
                        }
                    ],
                },
            )
            if out is None:
                self.n -= 1
            else:
                self.pushed.append(rid)
            while True:
                page = self.post(
                    "/api/v1/sync/pull",
                    {"device_id": self.device, "cursor": self.cursor, "limit": 500},
                )
                if page is None:
                    break
                self.cursor = page["cursor"]
                if not page["has_more"]:
                    break
            done.wait(rng.uniform(0.5, 1.5))


def slow_phone(
    links: Links, nginx: Nginx, i: int, username: str, unit: int, size: int
) -> dict[str, Any]:
    link = links.open(
        Link(("127.0.0.1", nginx.port), UP, DOWN, LATENCY, source=f"127.0.0.{50 + i}")
    )
    base = f"https://127.0.0.1:{link.port}"
    with requests.Session() as http:
        started = time.perf_counter()
        device, token = sign_in(http, base, username, nginx.cafile)
        signed_in = time.perf_counter() - started
        body, ids = backlog(device, unit, 1000 + i, size)
        link.up_bytes, link.up_first, link.up_last = 0, None, None
        started = time.perf_counter()
        r = http.post(
            base + "/api/v1/sync/push",
            data=body,
            headers={
                "Sodoan-Protocol": "1",
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
            verify=nginx.cafile,
            timeout=600,
        )
        took = time.perf_counter() - started
    answer = r.json() if r.status_code == 200 else {}
    return {
        "bytes": len(body),
        "ids": ids,
        "status": r.status_code,
        "applied": sum(1 for x in answer.get("results", []) if x["status"] == "applied"),
        "sign_in_s": signed_in,
        "upload_s": link.uploading_for(),
        "push_s": took,
        "error": None if r.status_code == 200 else r.text[:200],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 slow phones × 50, 5 fast")
    args = parser.parse_args(argv)
    slow_n, fast_n, size = (5, 5, 50) if args.quick else (20, 20, 200)
    print(
        f"slowlink_bench {' '.join(sys.argv[1:]) or '(defaults)'} — "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs ({cpu_model()}); "
        f"{slow_n} slow phones × {size} entries at {UP * 8 / 1000:g} kbit/s up, "
        f"{DOWN * 8 / 1000:g} down, {LATENCY * 1000:g} ms; {fast_n} fast devices"
    )
    database = Database("postgresql")
    web = worker = nginx = None
    links = Links()
    failed = False
    try:
        env = {
            **os.environ,
            "DATABASE_URL": database.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TRUSTED_PROXIES": "1",
            "PYTHONPATH": str(ROOT),
        }
        for name in ("FLASK_APP", "GUNICORN_CMD_ARGS", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        flask = [str(BIN / "flask"), "--app", "server"]
        run([*flask, "db", "upgrade"], env, "flask db upgrade")
        run([*flask, "seed-catalogue"], env, "flask seed-catalogue")
        out = run([str(BIN / "python"), "-c", SEED, json.dumps([slow_n, fast_n])], env, "seed")
        units = json.loads(next(x for x in out.splitlines() if x.startswith("SLOW "))[5:])
        web, worker, port = start_server(env, database.tmp)
        nginx = Nginx(database.tmp / "nginx", port)
        print(f"PostgreSQL {database.version()}; nginx {nginx.url} → gunicorn 127.0.0.1:{port}")

        fast = [
            Fast(nginx.url, f"fast-{i:02d}", units[f"fast-{i:02d}"], nginx.cafile)
            for i in range(fast_n)
        ]
        done = threading.Event()
        started = time.perf_counter()
        with ThreadPoolExecutor(slow_n + fast_n) as pool:
            fast_runs = [pool.submit(d.run, done, random.Random(i)) for i, d in enumerate(fast)]
            slow_runs = [
                pool.submit(
                    slow_phone, links, nginx, i, f"slow-{i:02d}", units[f"slow-{i:02d}"], size
                )
                for i in range(slow_n)
            ]
            slow = [s.result() for s in slow_runs]
            done.set()
            for f in fast_runs:
                f.result()
        wall = time.perf_counter() - started

        from sqlalchemy import create_engine, text

        engine = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://"))
        count = text("SELECT count(*), count(DISTINCT id) FROM activities WHERE id = ANY(:ids)")
        with engine.connect() as conn:
            stored = [
                conn.execute(count, {"ids": [uuid.UUID(x) for x in s["ids"]]}).one() for s in slow
            ]
            fast_ids = [uuid.UUID(x) for d in fast for x in d.pushed]
            fast_stored = conn.execute(count, {"ids": fast_ids}).one()
            total = conn.execute(text("SELECT count(*) FROM activities")).scalar_one()
        engine.dispose()
        log = (database.tmp / "gunicorn.log").read_text()

        sizes = sorted(s["bytes"] for s in slow)
        uploads = sorted(s["upload_s"] for s in slow)
        pushes = sorted(s["push_s"] for s in slow)
        ms = [x for d in fast for x in d.ms]
        errors = [e for d in fast for e in d.errors] + [s["error"] for s in slow if s["error"]]
        print(f"\nall done in {wall:.1f} s")
        print(
            f"slow backlogs: {sizes[0] / 1024:.0f}–{sizes[-1] / 1024:.0f} KB gzipped; uploads took "
            f"{uploads[0]:.1f} / {uploads[len(uploads) // 2]:.1f} / {uploads[-1]:.1f} s "
            f"(min / median / max); push answered after {pushes[0]:.1f} / "
            f"{pushes[len(pushes) // 2]:.1f} / {pushes[-1]:.1f} s; sign-in over the link "
            f"{max(s['sign_in_s'] for s in slow):.1f} s at most"
        )
        once = all(
            s["status"] == 200 and s["applied"] == size and tuple(st) == (size, size)
            for s, st in zip(slow, stored, strict=True)
        )
        print(
            f"slow backlogs stored exactly once: {'yes' if once else 'NO'} "
            f"({sum(st[0] for st in stored):,} rows for {slow_n} × {size})"
        )
        p95 = pct(ms, 95)
        print(
            f"fast devices: {len(ms):,} requests, p50 {pct(ms, 50):.0f} ms, p95 {p95:.0f} ms, "
            f"p99 {pct(ms, 99):.0f} ms, max {max(ms):.0f} ms — target p95 < {TARGET_P95_MS} ms: "
            f"{'PASS' if p95 < TARGET_P95_MS else 'MISS'}; their records stored "
            f"{fast_stored[0]}/{len(fast_ids)} ({fast_stored[1]} distinct)"
        )
        print(f"errors: {len(errors)} (target 0)")
        for e in errors[:5]:
            print("  e.g.", e)
        timeouts = log.count("WORKER TIMEOUT")
        print(f"gunicorn: {timeouts} worker time-outs; {total:,} activities in the database")
        failed |= not once or p95 >= TARGET_P95_MS or bool(errors) or bool(timeouts)
        failed |= tuple(fast_stored) != (len(fast_ids), len(fast_ids))
        failed |= total != slow_n * size + len(fast_ids)
        print(
            "machine load average (1, 5, 15 min; other helpers' tests share the 2 cores): "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        )
        print("slowlink bench:", "FAILED" if failed else "ok")
    finally:
        links.close()
        if nginx is not None:
            stop(nginx.proc)
        for proc in (worker, web):
            if proc is not None:
                stop(proc)
        database.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
