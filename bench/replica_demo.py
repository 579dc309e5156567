"""The dashboard's reports served from a real PostgreSQL streaming replica (issue 12 §6).

    .venv/bin/python bench/replica_demo.py [--records 200] [--pages 20]

Not part of CI: it needs root (PostgreSQL's own binaries run as the ``postgres`` user) and
starts two PostgreSQL servers of its own on free ports, in a temporary directory, leaving
the machine's server on 5432 alone:

1. a primary (``initdb``), and a hot standby made from it with ``pg_basebackup -R``
   (``standby.signal`` and ``primary_conninfo``), streaming its WAL;
2. the app migrated and seeded on the primary, gunicorn started with deploy/gunicorn.conf.py,
   ``DATABASE_URL`` on the primary and ``REPORTS_DATABASE_URL`` on the standby (each with
   its own ``application_name``, so either server's ``pg_stat_activity`` says who is
   connected);
3. a phone pushes activities to the primary, the totals worker adds them up there, and the
   province's report page, read through gunicorn, shows them once the standby has
   replayed the WAL; with replay paused on the standby, new writes do not show until it
   resumes — the figures come from the standby, not the primary;
4. everything stopped and deleted, whatever happened.

Prints what it saw: replication state, lag, the figures on each page, the sessions on each
server, page times. Exit status 1 if a page showed what the replica could not have held.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.sync_bench import cpu_model, free_port, run  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
DB = "sodoan_demo"
PASSWORD = "mat-khau-thu-nghiem"  # tests.factories.PASSWORD
TOTAL = re.compile(
    r'id="total-activities">\s*<div class="label">[^<]*</div>\s*<div class="value">([\d.,]+)<'
)

#: A statement in a log line: simple protocol ("statement: …") or extended ("execute …: …");
#: ";" is the connection pool's ping.
STATEMENT = re.compile(r"LOG:  (?:statement|execute [^:]*): (;|\w+)")

SEED = r"""
import json
from server import create_app
from server.extensions import db
from server.models import UnitKind
from tests import factories as f

app = create_app()
with app.app_context():
    f.activity_type()
    province = f.unit("DEMO", None, UnitKind.PROVINCE, name="Tỉnh Đoàn (bản sao)")
    commune = f.unit("DEMO-X", province, UnitKind.COMMUNE, name="Đoàn xã (bản sao)")
    branch = f.unit("DEMO-X-01", commune, name="Chi đoàn (bản sao)")
    f.user("demo-dv", branch, full_name="Đoàn viên")
    f.user("demo-tinh", province, role="provincial_staff", full_name="Cán bộ tỉnh")
    db.session.commit()
    print("DEMO " + json.dumps({"province": province.id, "branch": branch.id}))
"""


def as_postgres(*cmd: str) -> str:
    out = subprocess.run(
        ["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def sql(port: int, query: str, database: str = "postgres") -> list[list[str]]:
    out = subprocess.run(
        [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        + ["-d", database, "-AtX", "-F", "\t", "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{query}: {out.stderr}")
    return [line.split("\t") for line in out.stdout.splitlines()]


class Cluster:
    """A PostgreSQL server of this script's own, run by the ``postgres`` user."""

    def __init__(self, where: Path, port: int) -> None:
        self.dir, self.port = where, port

    def start(self) -> None:
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-l",
            str(self.log),
            "-o",
            f"-p {self.port} -k {self.dir.parent} -c listen_addresses=127.0.0.1 "
            "-c log_statement=all -c log_line_prefix='%a|'",
            "-w",
            "start",
        )

    @property
    def log(self) -> Path:
        return self.dir.parent / f"{self.dir.name}.log"

    def statements(self, since: int) -> dict[str, list[str]]:
        """Statements logged since byte ``since`` of the log, by application_name: the
        first word of each."""
        with self.log.open("rb") as fh:
            fh.seek(since)
            lines = fh.read().decode(errors="replace").splitlines()
        seen: dict[str, list[str]] = {}
        for line in lines:
            app, _, rest = line.partition("|")
            found = STATEMENT.search(rest)
            if found and app.startswith("sodoan-"):
                seen.setdefault(app, []).append(found[1].upper())
        return seen

    def stop(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl")]
            + ["-D", str(self.dir), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )


def wait_replayed(primary: Cluster, standby: Cluster) -> float:
    """Seconds until the standby has replayed everything the primary has written."""
    started = time.perf_counter()
    target = sql(primary.port, "SELECT pg_current_wal_lsn()")[0][0]
    while True:
        done = sql(standby.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if done[0][0] == "t":
            return time.perf_counter() - started
        if time.perf_counter() - started > 60:
            raise RuntimeError("the standby did not catch up in 60 s")
        time.sleep(0.01)


def sessions(port: int) -> dict[str, int]:
    rows = sql(
        port,
        "SELECT application_name, count(*) FROM pg_stat_activity "
        f"WHERE datname = '{DB}' AND application_name LIKE 'sodoan-%' GROUP BY 1",
    )
    return {name: int(n) for name, n in rows}


def record(unit_id: int, n: int) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "type": "thu_bay_tinh_nguyen",
        "title": f"Ngày thứ bảy tình nguyện số {n}",
        "starts_on": "2026-11-21",
        "ends_on": "2026-11-21",
        "place": "UBND xã",
        "members_count": 12,
        "citizens_served": 80,
        "volunteer_hours": "48.0",
        "quantities": {},
        "description": "",
        "status": "submitted",
        "recorded_at": "2026-11-21T09:30:00+07:00",
    }


class Phone:
    def __init__(self, base: str, branch: int) -> None:
        self.base, self.branch, self.n = base, branch, 0
        self.device = str(uuid.uuid4())
        self.http = requests.Session()
        self.http.headers["Sodoan-Protocol"] = "1"
        r = self.http.post(
            base + "/api/v1/devices",
            json={
                "username": "demo-dv",
                "password": PASSWORD,
                "device_id": self.device,
                "device_name": "điện thoại",
            },
            timeout=30,
        )
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def push(self, count: int) -> None:
        for start in range(0, count, 200):
            batch = []
            for _ in range(min(200, count - start)):
                self.n += 1
                batch.append(
                    {
                        "n": self.n,
                        "collection": "activities",
                        "op": "upsert",
                        "id": str(uuid.uuid4()),
                        "base_version": None,
                        "record": record(self.branch, self.n),
                    }
                )
            r = self.http.post(
                self.base + "/api/v1/sync/push",
                json={"device_id": self.device, "mutations": batch},
                timeout=60,
            )
            r.raise_for_status()
            statuses = {m["status"] for m in r.json()["results"]}
            assert statuses == {"applied"}, statuses


def dashboard(base: str) -> requests.Session:
    s = requests.Session()
    form = s.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    r = s.post(
        base + "/login",
        data={"username": "demo-tinh", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302, r.text[:300]
    return s


def shown(s: requests.Session, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    r = s.get(url, timeout=30)
    took = time.perf_counter() - started
    r.raise_for_status()
    return int(TOTAL.search(r.text)[1].replace(".", "").replace(",", "")), took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200, help="activities in the first write")
    parser.add_argument("--pages", type=int, default=20, help="report pages timed")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("replica_demo: run as root (PostgreSQL runs as the postgres user)", file=sys.stderr)
        return 2
    print(
        f"replica_demo — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs "
        f"({cpu_model()}); PostgreSQL {PG_BIN.parent.name} ({PG_BIN})"
    )
    tmp = Path(tempfile.mkdtemp(prefix="sodoan_replica_"))
    shutil.chown(tmp, "postgres", "postgres")
    primary = Cluster(tmp / "primary", free_port())
    standby = Cluster(tmp / "standby", free_port())
    gunicorn: subprocess.Popen | None = None
    started: list[Cluster] = []
    failed = False
    try:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(primary.dir), "-A", "trust", "-U", "postgres")
        primary.start()
        started.append(primary)
        sql(primary.port, f"CREATE DATABASE {DB}")
        as_postgres(
            str(PG_BIN / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(standby.dir), "-R", "-X", "stream", "-c", "fast"),
        )
        standby.start()
        started.append(standby)
        print(f"primary on port {primary.port}, standby on port {standby.port} (pg_basebackup -R)")
        print("  standby in recovery:", sql(standby.port, "SELECT pg_is_in_recovery()")[0][0])
        print(
            "  primary's pg_stat_replication:",
            sql(primary.port, "SELECT client_addr, state, sync_state FROM pg_stat_replication"),
        )

        base_url = f"postgresql://postgres@127.0.0.1:{{}}/{DB}?application_name={{}}"
        env = {
            **os.environ,
            "DATABASE_URL": base_url.format(primary.port, "sodoan-primary"),
            "REPORTS_DATABASE_URL": base_url.format(standby.port, "sodoan-reports"),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "WEB_CONCURRENCY": "1",
            "PYTHONPATH": str(ROOT),
        }
        for name in ("FLASK_APP", "GUNICORN_CMD_ARGS", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        flask = [str(BIN / "flask"), "--app", "server"]
        writer_env = {**env, "REPORTS_DATABASE_URL": ""}
        run([*flask, "db", "upgrade"], writer_env, "flask db upgrade")
        run([*flask, "seed-catalogue"], writer_env, "flask seed-catalogue")
        out = run([str(BIN / "python"), "-c", SEED], writer_env, "seeding")
        ids = json.loads(next(x for x in out.splitlines() if x.startswith("DEMO "))[5:])

        port = free_port()
        log = (tmp / "gunicorn.log").open("w")
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "server:create_app()"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError((tmp / "gunicorn.log").read_text()[-2000:])
        print(f"gunicorn on {base}: DATABASE_URL → primary, REPORTS_DATABASE_URL → standby")

        phone = Phone(base, ids["branch"])
        staff = dashboard(base)
        page = f"{base}/reports/{ids['province']}?p=2026"

        def write(count: int) -> None:
            phone.push(count)
            run([*flask, "totals-worker", "--once"], writer_env, "totals worker")

        expected = 0
        for label, count, paused in (
            ("first write", args.records, False),
            ("second write, replay paused on the standby", 50, True),
        ):
            if paused:
                sql(standby.port, "SELECT pg_wal_replay_pause()")
            write(count)
            if paused:
                figure, _ = shown(staff, page)
                print(
                    f"{label}: +{count} on the primary; page shows {figure} "
                    f"(the standby's {expected})"
                )
                failed |= figure != expected
                sql(standby.port, "SELECT pg_wal_replay_resume()")
            lag = wait_replayed(primary, standby)
            expected += count
            figure, _ = shown(staff, page)
            print(
                f"{label}: replayed {lag * 1000:.0f} ms after the write returned; "
                f"page shows {figure} (expected {expected})"
            )
            failed |= figure != expected

        marks = primary.log.stat().st_size, standby.log.stat().st_size
        times = []
        for _ in range(args.pages):
            figure, took = shown(staff, page)
            times.append(took * 1000)
            failed |= figure != expected
        times.sort()
        print(
            f"{args.pages} report pages: p50 {times[len(times) // 2]:.0f} ms, "
            f"max {times[-1]:.0f} ms; statements the app sent meanwhile (log_statement=all):"
        )
        time.sleep(0.5)  # the servers' logs are written as they go; let the last lines land
        for name, cluster in (("primary", primary), ("standby", standby)):
            for app, words in cluster.statements(marks[name == "standby"]).items():
                kinds = ", ".join(f"{w} {words.count(w)}" for w in sorted(set(words)))
                print(f"  {name}, {app}: {len(words)} ({kinds})")
        writes = [
            w
            for words in standby.statements(marks[1]).values()
            for w in words
            if w not in (";", "SELECT", "BEGIN", "COMMIT", "ROLLBACK", "WITH")
        ]
        failed |= bool(writes)
        print(f"  sessions on the primary: {sessions(primary.port)}")
        print(f"  sessions on the standby: {sessions(standby.port)}")
        print("replica demo:", "FAILED" if failed else "ok")
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        for cluster in reversed(started):
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"cleaned up: both servers stopped, {tmp} removed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
