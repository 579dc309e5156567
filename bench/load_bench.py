"""Load run: many devices syncing at once against gunicorn + PostgreSQL (issue 12 §6).

    .venv/bin/python bench/load_bench.py [--devices 200] [--seconds 120] [--interval 5] [--quick]

A fresh PostgreSQL database (``sodoan_bench_<pid>`` on 127.0.0.1:5432), migrated and seeded
with the real CLI; gunicorn started with deploy/gunicorn.conf.py (the Procfile's web line,
2 processes × 4 threads) and the totals worker beside it, as in production. The devices
— ten to a branch, each signed in with its own member's account — each sync every
``--interval`` seconds (jittered): 0–3 new activities pushed (gzip, as phones send them),
then pulls until caught up, so each pull also brings the branch's other nine devices'
records. One thread per device, with its own HTTP connection.

Printed: requests per second, latency p50/p95/p99 per kind of request, errors by status
(target 0), CPU split between gunicorn, PostgreSQL and this client, and the check that
every record arrived once: every record pushed is in the database once, and every
device received every record of its branch from the other devices exactly once. Exit
status 1 if a request failed or a record was missed or doubled.
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
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.sync_bench import CpuMeter, Database, cpu_model, free_port, pct, run  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "mat-khau-thu-nghiem"  # tests.factories.PASSWORD
PER_BRANCH = 10
WORDS = "chi đoàn thanh niên tình nguyện dọn vệ sinh đường làng sửa cầu trồng cây".split()

SEED = r"""
import json, sys
from server import create_app
from server.extensions import db
from server.models import UnitKind
from tests import factories as f

branches, per_branch = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    f.activity_type()
    province = f.unit("LOAD", None, UnitKind.PROVINCE, name="Tỉnh Đoàn (tải)")
    commune = f.unit("LOAD-X", province, UnitKind.COMMUNE, name="Đoàn xã (tải)")
    out = []
    for b in range(branches):
        branch = f.unit(f"LOAD-X-{b:03d}", commune, name=f"Chi đoàn {b}")
        db.session.flush()
        for d in range(per_branch):
            f.user(f"load-{b:03d}-{d:02d}", branch, full_name=f"Đoàn viên {b}.{d}")
        out.append(branch.id)
    db.session.commit()
print("LOAD " + json.dumps(out))
"""


class Meter(CpuMeter):
    """CPU of gunicorn's workers including those gone: ``max_requests`` replaces a worker
    every ~2,000 requests, and what it used is then counted in the master's reaped-children
    time, not under a live child."""

    def snapshot(self) -> tuple[float, float, float, float]:
        client, workers, backends, busy = super().snapshot()
        stat = Path(f"/proc/{self.master_pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        reaped = (int(fields[13]) + int(fields[14])) / self.TICK
        return client, workers + reaped, backends, busy


@dataclass
class Stats:
    """Every request's time and outcome, from every device thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    resets: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def took(self, kind: str, ms: float) -> None:
        with self.lock:
            self.ms[kind].append(ms)

    def reset(self, kind: str) -> None:
        with self.lock:
            self.resets[kind] += 1

    def failed(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[f"{kind} {what.split(':')[0]}"] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {what}"[:300])


class Device:
    def __init__(self, base: str, username: str, branch: int, seed: int, stats: Stats) -> None:
        self.base, self.username, self.branch, self.stats = base, username, branch, stats
        self.rng = random.Random(seed)
        self.id = str(uuid.uuid4())
        self.http = requests.Session()
        self.http.headers.update({"Sodoan-Protocol": "1", "Content-Type": "application/json"})
        self.n = 0
        self.cursor: str | None = None
        self.pushed: list[str] = []
        self.received: Counter = Counter()

    def call(self, kind: str, path: str, body: dict, **headers: str) -> dict | None:
        data = json.dumps(body, ensure_ascii=False).encode()
        if kind == "push":
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        started = time.perf_counter()
        try:
            try:
                r = self.http.post(self.base + path, data=data, headers=headers, timeout=60)
            except requests.ConnectionError:
                # The connection was cut (see gunicorn_restarts): a phone sends the same
                # request again, which exactly-once makes safe for a push. Counted apart.
                self.stats.reset(kind)
                time.sleep(0.2)
                started = time.perf_counter()
                r = self.http.post(self.base + path, data=data, headers=headers, timeout=60)
        except requests.RequestException as exc:
            self.stats.failed(kind, f"{type(exc).__name__}: {exc}")
            return None
        self.stats.took(kind, (time.perf_counter() - started) * 1000)
        if r.status_code not in (200, 201):
            self.stats.failed(kind, f"{r.status_code}: {r.text[:200]}")
            return None
        return r.json()

    def sign_in(self) -> None:
        out = self.call(
            "sign-in",
            "/api/v1/devices",
            {
                "username": self.username,
                "password": PASSWORD,
                "device_id": self.id,
                "device_name": "máy đo tải",
            },
        )
        if out is None:
            raise RuntimeError(f"{self.username} could not sign in")
        self.http.headers["Authorization"] = f"Bearer {out['token']}"

    def sync(self) -> None:
        mutations = []
        for _ in range(self.rng.randint(0, 3)):
            self.n += 1
            rid = str(uuid.uuid4())
            mutations.append(
                {
                    "n": self.n,
                    "collection": "activities",
                    "op": "upsert",
                    "id": rid,
                    "base_version": None,
                    "record": {
                        "unit_id": self.branch,
                        "type": "thu_bay_tinh_nguyen",
                        "title": f"Hoạt động {self.username} số {self.n}",
                        "starts_on": "2026-11-21",
                        "ends_on": "2026-11-21",
                        "place": "UBND xã",
                        "members_count": self.rng.randint(1, 40),
                        "citizens_served": self.rng.randint(0, 200),
                        "volunteer_hours": "12.0",
                        "quantities": {},
                        "description": " ".join(self.rng.choice(WORDS) for _ in range(40)),
                        "status": "submitted",
                        "recorded_at": "2026-11-21T09:30:00+07:00",
                    },
                }
            )
        if mutations:
            out = self.call(
                "push", "/api/v1/sync/push", {"device_id": self.id, "mutations": mutations}
            )
            if out is None:
                self.n -= len(mutations)  # not confirmed: the numbers are used again
                return
            self.pushed += [m["id"] for m in mutations]
        self.pull()

    def pull(self) -> bool:
        while True:
            page = self.call(
                "pull",
                "/api/v1/sync/pull",
                {"device_id": self.id, "cursor": self.cursor, "limit": 500},
            )
            if page is None:
                return False
            for change in page["changes"]:
                self.received[change["id"]] += 1
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return True

    def run(self, until: float, interval: float) -> int:
        syncs = 0
        time.sleep(self.rng.uniform(0, interval))  # devices do not start in step, nor stop
        while time.monotonic() < until:
            self.sync()
            syncs += 1
            time.sleep(
                max(0.0, min(self.rng.uniform(0.5, 1.5) * interval, until - time.monotonic()))
            )
        return syncs


def start_server(
    env: dict[str, str], where: Path
) -> tuple[subprocess.Popen, subprocess.Popen, int]:
    port = free_port()
    log = (where / "gunicorn.log").open("w")
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "server:create_app()"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [str(BIN / "flask"), "--app", "server", "totals-worker"],
        cwd=ROOT,
        env=env,
        stdout=(where / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return web, worker, port
        except requests.RequestException:
            pass
        if web.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError((where / "gunicorn.log").read_text()[-3000:])


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument(
        "--interval", type=float, default=5, help="seconds between a device's syncs"
    )
    parser.add_argument("--quick", action="store_true", help="40 devices for 20 s (smoke)")
    parser.add_argument(
        "--gunicorn-args", default="", help='GUNICORN_CMD_ARGS, e.g. "--max-requests 0"'
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.devices, args.seconds = 40, 20
    branches = -(-args.devices // PER_BRANCH)
    print(
        f"load_bench {' '.join(sys.argv[1:]) or '(defaults)'} — "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs ({cpu_model()}); "
        f"{args.devices} devices in {branches} branches, a sync every ~{args.interval:g} s "
        f"each, for {args.seconds:g} s"
    )
    database = Database("postgresql")
    web = worker = None
    failed = False
    try:
        env = {
            **os.environ,
            "DATABASE_URL": database.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("FLASK_APP", "GUNICORN_CMD_ARGS", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        if args.gunicorn_args:
            env["GUNICORN_CMD_ARGS"] = args.gunicorn_args
        flask = [str(BIN / "flask"), "--app", "server"]
        run([*flask, "db", "upgrade"], env, "flask db upgrade")
        run([*flask, "seed-catalogue"], env, "flask seed-catalogue")
        out = run(
            [str(BIN / "python"), "-c", SEED, json.dumps([branches, PER_BRANCH])], env, "seed"
        )
        branch_ids = json.loads(next(x for x in out.splitlines() if x.startswith("LOAD "))[5:])
        web, worker, port = start_server(env, database.tmp)
        base = f"http://127.0.0.1:{port}"
        print(f"PostgreSQL {database.version()}; gunicorn on {base} with deploy/gunicorn.conf.py")

        stats = Stats()
        devices = [
            Device(
                base,
                f"load-{i // PER_BRANCH:03d}-{i % PER_BRANCH:02d}",
                branch_ids[i // PER_BRANCH],
                i,
                stats,
            )
            for i in range(args.devices)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda d: d.sign_in(), devices))
        print(f"{args.devices} devices signed in ({time.perf_counter() - started:.1f} s, untimed)")
        stats.ms.clear()

        meter = Meter(web.pid, database.name)
        before = meter.snapshot()
        started = time.perf_counter()
        until = time.monotonic() + args.seconds
        with ThreadPoolExecutor(len(devices)) as pool:
            syncs = sum(pool.map(lambda d: d.run(until, args.interval), devices))
        wall = time.perf_counter() - started
        cpu = meter.describe(before, wall)

        # Every device catches up once more, then: all there, each once.
        with ThreadPoolExecutor(16) as pool:
            caught_up = all(pool.map(lambda d: d.pull(), devices))
        failed |= not caught_up
        pushed = [rid for d in devices for rid in d.pushed]
        from sqlalchemy import create_engine, text

        engine = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*), count(DISTINCT id) FROM activities WHERE id = ANY(:ids)"),
                {"ids": [uuid.UUID(r) for r in pushed]},
            ).one()
            total = conn.execute(text("SELECT count(*) FROM activities")).scalar_one()
        engine.dispose()
        by_branch: dict[int, list[str]] = defaultdict(list)
        for d in devices:
            by_branch[d.branch] += d.pushed
        missed = doubled = 0
        for d in devices:
            others = set(by_branch[d.branch]) - set(d.pushed)
            missed += sum(1 for rid in others if d.received[rid] == 0)
            doubled += sum(1 for rid in others if d.received[rid] > 1)
        own_back = sum(d.received[rid] for d in devices for rid in d.pushed)

        requests_done = sum(len(v) for v in stats.ms.values())
        errors = sum(stats.errors.values())
        print(
            f"\n{syncs:,} syncs, {requests_done:,} requests in {wall:.1f} s: "
            f"{requests_done / wall:.1f} requests/s, {len(pushed) / wall:.1f} records/s pushed"
        )
        print(
            f"{'request':<8} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        )
        for kind in ("push", "pull"):
            v = stats.ms.get(kind, [])
            if v:
                print(
                    f"{kind:<8} {len(v):>7,} {pct(v, 50):>8.0f} {pct(v, 95):>8.0f} "
                    f"{pct(v, 99):>8.0f} {max(v):>8.0f}"
                )
        every = [x for v in stats.ms.values() for x in v]
        if every:
            print(
                f"{'all':<8} {len(every):>7,} {pct(every, 50):>8.0f} {pct(every, 95):>8.0f} "
                f"{pct(every, 99):>8.0f} {max(every):>8.0f}"
            )
        print(f"errors: {errors} (target 0)" + (f" {dict(stats.errors)}" if errors else ""))
        for example in stats.examples:
            print("  e.g.", example)
        log = (database.tmp / "gunicorn.log").read_text()
        print(
            f"connections cut and the request sent again: {sum(stats.resets.values())} "
            f"{dict(stats.resets) or ''}; gunicorn workers recycled (max_requests): "
            f"{log.count('Autorestarting worker')}; worker time-outs: "
            f"{log.count('WORKER TIMEOUT')}"
        )
        print(cpu)
        print(
            f"records: {len(pushed):,} pushed and confirmed, {stored[0]:,} stored "
            f"({stored[1]:,} distinct; {total:,} activities in all); each device received "
            f"its branch's other records: {missed} missed, {doubled} more than once "
            f"(own records echoed back: {own_back:,})"
        )
        failed |= bool(errors) or stored[0] != len(pushed) or stored[1] != len(pushed)
        failed |= total != len(pushed) or bool(missed) or bool(doubled)
        print(
            "machine load average (1, 5, 15 min; other helpers' tests share the 2 cores): "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        )
        print("load bench:", "FAILED" if failed else "ok")
    finally:
        for proc in (worker, web):
            if proc is not None:
                stop(proc)
        database.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
