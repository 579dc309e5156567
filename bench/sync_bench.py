"""Sync benchmark: the real server (gunicorn, 2 workers) over real HTTP, on SQLite and/or
PostgreSQL, measured the way a phone on 2G pays for it — bytes on the wire, headers included.

    .venv/bin/python bench/sync_bench.py [--backend sqlite|postgresql|both] [--quick]

For each backend: a fresh database (SQLite file in a temp dir, or ``sodoan_bench_<pid>`` on
the local PostgreSQL), migrated and seeded with the real CLI, a small unit tree and users
made with ``tests.factories``; then gunicorn started exactly as the Procfile does and five
scenarios driven through ``/api/v1`` from 127.0.0.1:

a. backlog push of 2,000 activities from one device (batches of 200);
b. initial download of 20,000 activities by a fresh device (pages of 1,000);
c. 200 idle polls of an up-to-date device, lean as the field app sends them;
d. 20 devices at once, each pushing 5 records and pulling until caught up, N rounds;
   then every device's view is checked against every record created: none missed, none twice;
e. a push retried after its response was lost (read-and-ignored, and a real dropped
   connection): the retry changes nothing and answers the same.

Bytes are counted at the socket: everything sent (request line, headers, gzip body) and
everything received (status line, headers, body as sent, i.e. still compressed). TCP/IP and
TLS overhead are not included. Targets are printed next to the figures (PASS/MISS); the
exit status is 1 only when a correctness check fails (a record missed or duplicated, a
retry that changed something).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import io
import json
import math
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/"
API = "/api/v1"
PASSWORD = "mat-khau-thu-nghiem"  # tests.factories.PASSWORD (checked by the seed step)

# -- what is measured, at full size and with --quick ---------------------------------------


@dataclass(frozen=True)
class Scale:
    backlog: int = 2_000
    initial: int = 20_000
    polls: int = 200
    devices: int = 20
    rounds: int = 10
    per_round: int = 5
    retry_batch: int = 200
    batch: int = 200
    page: int = 5_000  # the protocol's largest page


FULL = Scale()
QUICK = Scale(backlog=200, initial=2_000, polls=20, devices=20, rounds=1, retry_batch=20)

#: Devices (of the same member) that fill the branch for the initial pull, side by side.
FILL_DEVICES = 2

# Targets from the issue.
TARGET_BACKLOG_S = 2.0
TARGET_INITIAL_S = 1.0
TARGET_INITIAL_BYTES = 1_500_000
TARGET_POLL_BYTES = 250  # received (issue 11: was 300)
TARGET_POLL_SENT = 300
TARGET_CONCURRENT_P95_MS = 500.0
RSS_GROWTH_MB = 30.0  # what "flat" allows one worker, from 2,000 to 20,000 records pushed


# -- HTTP with byte counting at the socket ---------------------------------------------------


class Tally:
    """Bytes through one connection's sockets (request and response, as on the wire)."""

    def __init__(self) -> None:
        self.sent = 0
        self.received = 0


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: Any, tally: Tally) -> None:
        super().__init__()
        self._raw = raw
        self._tally = tally

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        n = self._raw.readinto(buffer)
        if n:
            self._tally.received += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _CountingSocket:
    def __init__(self, sock: socket.socket, tally: Tally) -> None:
        self._sock = sock
        self._tally = tally

    def sendall(self, data: Any, *args: Any) -> None:
        self._tally.sent += len(data)
        self._sock.sendall(data, *args)

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode != "rb":
            raise ValueError(f"unexpected makefile mode {mode!r}")
        # An unbuffered socket file: every byte the kernel hands over passes readinto().
        return io.BufferedReader(
            _CountingReader(self._sock.makefile("rb", buffering=0), self._tally)
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class CountingConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, tally: Tally) -> None:
        super().__init__(host, port, timeout=300)
        self.tally = tally

    def connect(self) -> None:
        super().connect()
        self.sock = _CountingSocket(self.sock, self.tally)  # type: ignore[assignment]


@dataclass
class Exchange:
    status: int
    body: Any
    seconds: float
    sent: int
    received: int
    head: int  # status line + header lines + blank line, as received
    body_wire: int  # response body as received (compressed when gzip)
    headers: list[tuple[str, str]] = field(default_factory=list)


class HttpError(Exception):
    pass


class Client:
    """One device's HTTP client: one connection object, kept alive when the server allows.
    gunicorn's sync workers (production) close every connection, so there each request is
    a new TCP connection, which is also what a phone waking up to sync does."""

    def __init__(self, port: int) -> None:
        self.tally = Tally()
        self.conn = CountingConnection(HOST, port, self.tally)

    def post(
        self,
        path: str,
        body: dict,
        *,
        token: str | None = None,
        gzip_body: bool = False,
        raw: bytes | None = None,
        bare: bool = False,
    ) -> Exchange:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Sodoan-Protocol": "1", "Accept-Encoding": "gzip"}
        if not bare:  # PROTOCOL §1: optional; the field app's poll leaves it out
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if gzip_body:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        sent0, received0 = self.tally.sent, self.tally.received
        started = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request("POST", path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # A kept-alive connection the server had closed meanwhile (not with the
                # sync workers, which close every connection): open a new one, once. A
                # push sent twice is harmless — that is the protocol's promise.
                self.conn.close()
                if not reused or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()
                raise
        seconds = time.perf_counter() - started
        if resp.will_close:
            self.conn.close()
        received = self.tally.received - received0
        text = gzip.decompress(payload) if resp.getheader("Content-Encoding") == "gzip" else payload
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return Exchange(
            status=resp.status,
            body=parsed,
            seconds=seconds,
            sent=self.tally.sent - sent0,
            received=received,
            head=received - len(payload),
            body_wire=len(payload),
            headers=resp.getheaders(),
        )

    def close(self) -> None:
        self.conn.close()


def expect(ex: Exchange, status: int, what: str) -> Any:
    if ex.status != status:
        raise HttpError(f"{what}: HTTP {ex.status}: {str(ex.body)[:500]}")
    return ex.body


# -- records a branch member would type ------------------------------------------------------

PLACES = [
    "UBND xã Trường Hà",
    "Nhà văn hoá xóm Nà Mạ",
    "Trường tiểu học Cốc Lùng",
    "Trạm y tế xã Lũng Nặm",
    "Chợ phiên Hà Quảng",
    "Sân thể thao xóm Lũng Rì",
    "Đồn Biên phòng Sóc Giang",
    "Điểm trường Pác Bó",
]
TITLES = {
    "thu_bay_tinh_nguyen": [
        "Ngày thứ bảy tình nguyện: hỗ trợ thủ tục hành chính",
        "Tư vấn pháp luật cho bà con",
        "Hỗ trợ làm hồ sơ đất đai",
        "Hướng dẫn đăng ký hộ tịch",
    ],
    "tinh_nguyen": [
        "Làm đường giao thông nông thôn",
        "Trồng cây xanh ven đường",
        "Dọn vệ sinh môi trường",
        "Sửa chữa nhà văn hoá",
    ],
    "ky_nghi_hong": [
        "Khám bệnh miễn phí cho người cao tuổi",
        "Hỗ trợ kích hoạt định danh điện tử",
        "Phát tờ rơi phòng chống ma tuý",
        "Hỗ trợ dịch vụ công trực tuyến",
    ],
}
DESCRIPTIONS = [
    "",
    "",
    "Phối hợp với công an xã và Hội Phụ nữ.",
    "Đoàn viên chia thành ba tổ, làm từ sáng đến chiều; bà con tham gia đông.",
    "Kinh phí do đoàn viên tự đóng góp và xin tài trợ từ doanh nghiệp địa phương.",
]


def make_record(rng: random.Random, unit_id: int, serial: int) -> dict[str, Any]:
    """A whole activity record, as ``tests/sync/conftest.py::activity_record`` builds one,
    with its figures and text varied the way real entries vary."""
    kind = rng.choice(list(TITLES))
    if kind == "thu_bay_tinh_nguyen":
        quantities = {
            "dossiers_land": rng.randint(0, 30),
            "dossiers_civil_status": rng.randint(0, 40),
            "legal_advice": rng.randint(0, 60),
        }
    elif kind == "tinh_nguyen":
        quantities = {
            "work_days": rng.randint(1, 120),
            "trees": rng.randint(0, 500),
            "road_km": round(rng.uniform(0, 5), 1),
        }
    else:
        quantities = {"health_checks": rng.randint(0, 200), "leaflets": rng.randint(0, 1000)}
    starts = date.today() - timedelta(days=rng.randint(0, 600))
    ends = starts + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
    members = rng.randint(3, 40)
    return {
        "unit_id": unit_id,
        "type": kind,
        "title": f"{rng.choice(TITLES[kind])} (lần {serial})",
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "place": rng.choice(PLACES),
        "members_count": members,
        "citizens_served": rng.randint(0, 300),
        "volunteer_hours": f"{members * rng.randint(2, 8) / 2:.1f}",
        "quantities": quantities,
        "description": rng.choice(DESCRIPTIONS),
        "status": rng.choice(("draft", "submitted", "submitted")),
        "recorded_at": f"{starts.isoformat()}T{rng.randint(6, 21):02d}:{rng.randint(0, 59):02d}"
        ":00+07:00",
    }


# -- a device speaking the protocol ------------------------------------------------------------


@dataclass
class Device:
    port: int
    username: str
    unit_id: int
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token: str = ""
    next_n: int = 1
    cursor: str | None = None
    reference: str | None = None
    seen: Counter = field(default_factory=Counter)  # ids received by incremental pulls
    created: list[str] = field(default_factory=list)
    client: Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = Client(self.port)

    def sign_in(self) -> None:
        ex = self.client.post(
            f"{API}/devices",
            {
                "username": self.username,
                "password": PASSWORD,
                "device_id": self.device_id,
                "device_name": f"Điện thoại của {self.username}",
            },
        )
        self.token = expect(ex, 201, f"sign-in {self.username}")["token"]

    def new_mutations(self, rng: random.Random, count: int) -> list[dict]:
        out = []
        for _ in range(count):
            rid = str(uuid.uuid4())
            out.append(
                {
                    "n": self.next_n,
                    "collection": "activities",
                    "op": "upsert",
                    "id": rid,
                    "base_version": None,
                    "record": make_record(rng, self.unit_id, self.next_n),
                }
            )
            self.next_n += 1
            self.created.append(rid)
        return out

    def push_body(self, mutations: list[dict]) -> bytes:
        body = {"device_id": self.device_id, "mutations": mutations}
        return json.dumps(body, ensure_ascii=False).encode()

    def push(self, mutations: list[dict], raw: bytes | None = None) -> Exchange:
        raw = raw if raw is not None else self.push_body(mutations)
        ex = self.client.post(f"{API}/sync/push", {}, token=self.token, gzip_body=True, raw=raw)
        answer = expect(ex, 200, f"push by {self.username}")
        if [r["n"] for r in answer["results"]] != [m["n"] for m in mutations]:
            raise HttpError(f"push by {self.username}: answers do not match the batch")
        bad = [r for r in answer["results"] if r["status"] not in ("applied", "already_applied")]
        if bad:
            raise HttpError(f"push by {self.username}: unexpected results {bad[:3]}")
        return ex

    def pull_page(self, limit: int, cursor: Any = "own") -> tuple[Exchange, dict]:
        body = {
            "device_id": self.device_id,
            "cursor": self.cursor if cursor == "own" else cursor,
            "limit": limit,
            "reference": self.reference,
            # Recommended by the protocol; the bench's devices pull only after their push
            # was answered, so their outbox is empty.
            "outbox": {"count": 0, "oldest": None},
        }
        ex = self.client.post(f"{API}/sync/pull", body, token=self.token)
        page = expect(ex, 200, f"pull by {self.username}")
        if "reference" in page:
            self.reference = page["reference"]["hash"]
        return ex, page

    def catch_up(self, limit: int) -> list[Exchange]:
        """Pull with the stored cursor until ``has_more`` is false, counting every id."""
        exchanges = []
        while True:
            ex, page = self.pull_page(limit)
            exchanges.append(ex)
            self.seen.update(c["id"] for c in page["changes"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return exchanges

    def full_download(self, limit: int) -> tuple[list[Exchange], list[str]]:
        """A download from ``cursor: null`` into a throw-away view; the ids in order."""
        exchanges, ids, cursor = [], [], None
        while True:
            ex, page = self.pull_page(limit, cursor=cursor)
            exchanges.append(ex)
            ids.extend(c["id"] for c in page["changes"] if not c["deleted"])
            cursor = page["cursor"]
            if not page["has_more"]:
                return exchanges, ids


# -- figures ----------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    scenario: str
    records: int
    seconds: float
    exchanges: list[Exchange]
    note: str = ""
    cpu: str = ""

    @property
    def requests(self) -> int:
        return len(self.exchanges)

    @property
    def up(self) -> int:
        return sum(e.sent for e in self.exchanges)

    @property
    def down(self) -> int:
        return sum(e.received for e in self.exchanges)

    def ms(self, p: float) -> float:
        return pct([e.seconds * 1000 for e in self.exchanges], p)


@dataclass
class Outcome:
    backend: str
    rows: list[Row] = field(default_factory=list)
    targets: list[tuple[str, str, bool]] = field(default_factory=list)
    checks: list[tuple[str, str, bool]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def fmt_int(n: float) -> str:
    return f"{n:,.0f}"


def print_outcome(o: Outcome) -> None:
    print(f"\n=== {o.backend} ===")
    head = (
        f"{'scenario':<34} {'records':>7} {'seconds':>8} {'rec/s':>8} {'req':>5} "
        f"{'bytes up':>11} {'bytes down':>11} {'p50 ms':>8} {'p95 ms':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in o.rows:
        records = fmt_int(r.records) if r.records else "-"
        rate = f"{r.records / r.seconds:,.0f}" if r.seconds and r.records else "-"
        print(
            f"{r.scenario:<34} {records:>7} {r.seconds:>8.2f} {rate:>8} "
            f"{r.requests:>5} {fmt_int(r.up):>11} {fmt_int(r.down):>11} "
            f"{r.ms(50):>8.1f} {r.ms(95):>8.1f}"
        )
        if r.note:
            print(f"{'':<4}{r.note}")
        if r.cpu:
            print(f"{'':<7}{r.cpu}")
    print()
    print(f"{'target':<52} {'measured':<36} result")
    for name, measured, ok in o.targets:
        print(f"{name:<52} {measured:<36} {'PASS' if ok else 'MISS'}")
    if "idle_header_lines" in o.extra:
        print("   idle poll response headers: " + " | ".join(o.extra["idle_header_lines"]))
    print()
    print(f"{'correctness check':<52} {'measured':<36} result")
    for name, measured, ok in o.checks:
        print(f"{name:<52} {measured:<36} {'OK' if ok else 'FAIL'}")


# -- databases, set-up and the server --------------------------------------------------------

SEED = r"""
import json, sys
from server import create_app
from server.extensions import db
from server.models import UnitKind
from tests import factories as f

spec = json.loads(sys.argv[1])
assert f.PASSWORD == spec["password"], "tests.factories.PASSWORD changed"
app = create_app()
with app.app_context():
    province = f.unit("BENCH", None, UnitKind.PROVINCE, name="Tỉnh Đoàn (đo hiệu năng)")
    commune = f.unit("BENCH-TH", province, UnitKind.COMMUNE, name="Đoàn xã Trường Hà (đo)")
    out = {}
    for i, (key, usernames) in enumerate(spec["branches"].items(), 1):
        branch = f.unit(f"BENCH-TH-{i:02d}", commune, name=f"Chi đoàn {key}")
        for name in usernames:
            f.user(name, branch, full_name=f"Đoàn viên {name}")
        out[key] = branch.id
    db.session.commit()
print("BENCH_SETUP " + json.dumps(out))
"""


def run(cmd: list[str], env: dict[str, str], what: str) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Database:
    """A fresh, empty database for one backend; dropped (or deleted) by :meth:`close`."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.tmp = Path(tempfile.mkdtemp(prefix="sodoan_bench_"))
        self.admin = None
        if backend == "sqlite":
            self.url = f"sqlite:///{self.tmp / 'bench.sqlite3'}"
            return
        from sqlalchemy import create_engine, text

        self.name = f"sodoan_bench_{os.getpid()}"
        self._text = text
        self.admin = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT"
        )
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.name}"')
        self.url = PG_SERVER + self.name

    def _sql(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(self._text(sql))

    def settle(self) -> None:
        """``VACUUM ANALYZE`` on PostgreSQL, what autovacuum does some time after a burst
        of inserts; nothing to do on SQLite."""
        if self.admin is None:
            return
        from sqlalchemy import create_engine

        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(self._text("VACUUM ANALYZE"))
        finally:
            engine.dispose()

    def version(self) -> str:
        if self.admin is None:
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        with self.admin.connect() as conn:
            return conn.execute(self._text("SHOW server_version")).scalar_one()

    def close(self) -> None:
        if self.admin is not None:
            try:
                self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                self.admin.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Server:
    """``gunicorn --preload --workers 2`` as in production, on a free local port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log = open(log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--preload",
                "--workers",
                "2",
                "--bind",
                f"{HOST}:{self.port}",
                "server:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not become healthy:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        self.log.seek(0)
        return "\n".join(self.log.read().decode(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class CpuMeter:
    """CPU seconds used by the bench client, gunicorn's workers and (on PostgreSQL) this
    database's backends, read from /proc: where a scenario's wall time went."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master_pid: int, database: str | None) -> None:
        self.master_pid = master_pid
        self.database = database

    @staticmethod
    def machine_busy() -> float:
        """CPU seconds the whole machine spent busy (all processes, all cores)."""
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / CpuMeter.TICK

    def snapshot(self) -> tuple[float, float, float, float]:
        busy = self.machine_busy()
        workers = backends = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                cpu = (int(fields[11]) + int(fields[12])) / self.TICK
                if int(fields[1]) == self.master_pid:
                    workers += cpu
                elif self.database and stat.split(" ", 2)[1] == "(postgres)":
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                    if f" {self.database} ".encode() in cmdline:
                        backends += cpu
            except (OSError, ValueError, IndexError):
                continue  # gone, or not ours to read
        return time.process_time(), workers, backends, busy

    def workers_rss_mb(self) -> dict[int, float]:
        """Resident memory of each gunicorn worker (pid → MB): "server memory flat" is
        read from it before and after pushing ten times as many records. Per worker,
        because which worker serves a 5,000-record page is the kernel's choice: one
        page's rendering leaves ~16 MB of allocator high-water in the worker that served
        it, so a total moved by 16 or 32 MB depending on whether one or both did."""
        sizes: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("PPid", "0").strip()) == self.master_pid:
                sizes[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        return sizes

    def describe(self, before: tuple[float, ...], wall: float) -> str:
        after = self.snapshot()
        client, workers, backends, busy = (a - b for a, b in zip(after, before, strict=True))
        out = f"CPU in {wall:.1f} s wall: gunicorn workers {workers:.1f} s"
        if self.database:
            out += f", PostgreSQL {backends:.1f} s"
        others = max(0.0, busy - client - workers - backends)
        return (
            out + f", bench client {client:.1f} s, anything else {others:.1f} s "
            f"(of {wall * (os.cpu_count() or 1):.1f} CPU-s on {os.cpu_count()} cores)"
        )


# -- the scenarios ---------------------------------------------------------------------------


def push_all(dev: Device, rng: random.Random, total: int, batch: int) -> list[Exchange]:
    exchanges = []
    for start in range(0, total, batch):
        exchanges.append(dev.push(dev.new_mutations(rng, min(batch, total - start))))
    return exchanges


def scenario_backlog_and_initial(
    o: Outcome,
    port: int,
    branch: int,
    scale: Scale,
    rng: random.Random,
    meter: CpuMeter,
    settle: Any = None,
) -> Device:
    writer = Device(port, "bm-writer", branch)
    writer.sign_in()

    # a. backlog push
    rss = [meter.workers_rss_mb()]
    cpu = meter.snapshot()
    started = time.perf_counter()
    exchanges = push_all(writer, rng, scale.backlog, scale.batch)
    seconds = time.perf_counter() - started
    cpu_note = meter.describe(cpu, seconds)
    rss.append(meter.workers_rss_mb())
    up = sum(e.sent for e in exchanges)
    o.rows.append(
        Row(
            f"a. backlog push {scale.backlog:,}",
            scale.backlog,
            seconds,
            exchanges,
            note=f"   ({up / scale.backlog:.0f} B/record sent, gzip; "
            f"{scale.backlog // scale.batch} batches of {scale.batch})",
            cpu=cpu_note,
        )
    )
    # The targets are for the full sizes; --quick scales them with the record counts.
    limit = TARGET_BACKLOG_S * scale.backlog / FULL.backlog
    o.targets.append(
        (
            f"a. {scale.backlog:,}-record backlog < {limit:g} s",
            f"{seconds:.2f} s",
            seconds < limit,
        )
    )

    # b. fill the branch to `initial` records through the same push path (not timed;
    # FILL_DEVICES devices of the same member at once, so that it takes less of the run) ...
    rest = scale.initial - scale.backlog
    fillers = [writer]
    for _ in range(FILL_DEVICES - 1):
        fillers.append(Device(port, "bm-writer", branch))
        fillers[-1].sign_in()
    shares = [(dev, rest // len(fillers)) for dev in fillers]
    shares[0] = (writer, shares[0][1] + rest % len(fillers))
    started = time.perf_counter()
    errors: list[BaseException] = []

    def fill(dev: Device, count: int, seed: int) -> None:
        try:
            push_all(dev, random.Random(seed), count, scale.batch)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=fill, args=(dev, count, 7 + i))
        for i, (dev, count) in enumerate(shares)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    o.extra["fill_seconds"] = time.perf_counter() - started
    o.extra["fill_records"] = rest
    rss.append(meter.workers_rss_mb())
    expected = {rid for dev in fillers for rid in dev.created}
    if settle is not None:
        # Weeks of entries are behind a real first download, and autovacuum long done with
        # them; here it would start on the fill's 18,000 rows in the middle of the timing.
        settle()

    # ... then a fresh device downloads everything.
    reader = Device(port, "bm-reader", branch)
    reader.sign_in()
    cpu = meter.snapshot()
    started = time.perf_counter()
    exchanges = reader.catch_up(scale.page)
    seconds = time.perf_counter() - started
    cpu_note = meter.describe(cpu, seconds)
    down = sum(e.received for e in exchanges)
    o.rows.append(
        Row(
            f"b. initial pull {scale.initial:,}",
            scale.initial,
            seconds,
            exchanges,
            note=f"   ({down / scale.initial:.1f} B/record on the wire, "
            f"{sum(e.body_wire for e in exchanges[:1]):,} B first page incl. reference data)",
            cpu=cpu_note,
        )
    )
    limit = TARGET_INITIAL_S * scale.initial / FULL.initial
    o.targets.append(
        (
            f"b. {scale.initial:,}-record initial pull < {limit:g} s",
            f"{seconds:.2f} s",
            seconds < limit,
        )
    )
    limit = TARGET_INITIAL_BYTES * scale.initial / FULL.initial
    o.targets.append(
        (
            f"b. {scale.initial:,}-record initial pull < {limit / 1e6:g} MB on the wire",
            f"{down / 1e6:.2f} MB ({down:,} B)",
            down < limit,
        )
    )
    rss.append(meter.workers_rss_mb())
    # Flat: pushing nine times more records (the fill), then serving them all, leaves the
    # workers about where the first batches left them (allocator slack, no growth per row).
    # Per worker: the most any one worker grew after the first batches.
    growth = max(
        (later.get(pid, size) - size for later in rss[2:] for pid, size in rss[1].items()),
        default=0.0,
    )
    totals = [sum(sizes.values()) for sizes in rss]
    o.checks.append(
        (
            "server memory flat (gunicorn workers' RSS, MB)",
            f"together: start {totals[0]:.0f} → after {scale.backlog:,} pushed {totals[1]:.0f}"
            f" → after {scale.initial:,} pushed {totals[2]:.0f} → after the initial pull"
            f" {totals[3]:.0f}; most one worker grew after the first {scale.backlog:,}:"
            f" {growth:.0f}",
            growth < RSS_GROWTH_MB,
        )
    )
    got = reader.seen
    missed = expected - set(got)
    dupes = sum(1 for n in got.values() if n > 1)
    extra = set(got) - expected
    o.checks.append(
        (
            "b. initial pull: every record once",
            f"{len(got):,} ids, missed {len(missed)}, dup {dupes}, extra {len(extra)}",
            not missed and not dupes and not extra,
        )
    )
    return reader


def lean_poll(dev: Device) -> tuple[Exchange, dict]:
    """An up-to-date device's poll as the field app sends it (PROTOCOL §5, decision 94):
    the cursor and the reference hash, written as JSON.stringify does, no Content-Type."""
    body = {"cursor": dev.cursor, "reference": dev.reference}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    ex = dev.client.post(f"{API}/sync/pull", {}, token=dev.token, raw=raw, bare=True)
    return ex, expect(ex, 200, f"idle poll by {dev.username}")


def scenario_idle(o: Outcome, reader: Device, scale: Scale) -> None:
    exchanges = []
    non_empty = 0
    for _ in range(scale.polls):
        ex, page = lean_poll(reader)
        exchanges.append(ex)
        if page["changes"] or page["has_more"] or "reference" in page:
            non_empty += 1
        reader.cursor = page["cursor"]
    received = [e.received for e in exchanges]
    worst = max(received)
    worst_sent = max(e.sent for e in exchanges)
    last = exchanges[-1]
    o.rows.append(
        Row(
            f"c. idle poll ×{scale.polls}",
            0,
            sum(e.seconds for e in exchanges),
            exchanges,
            note=f"   (per poll: {worst} B received = {last.head} B status+headers "
            f"+ {last.body_wire} B body; {last.sent} B sent)",
        )
    )
    o.targets.append(
        (
            f"c. idle poll ≤ {TARGET_POLL_SENT} B sent incl. headers",
            f"max {worst_sent} B/poll",
            worst_sent <= TARGET_POLL_SENT,
        )
    )
    o.targets.append(
        (
            f"c. idle poll ≤ {TARGET_POLL_BYTES} B received incl. headers",
            f"max {worst} B/poll",
            worst <= TARGET_POLL_BYTES,
        )
    )
    o.checks.append(("c. idle polls carry nothing", f"{non_empty} non-empty", non_empty == 0))
    o.extra["idle_headers"] = last.head
    o.extra["idle_body"] = last.body_wire
    o.extra["idle_header_lines"] = [f"{k}: {v}" for k, v in last.headers]


def scenario_concurrent(o: Outcome, port: int, branch: int, scale: Scale, meter: CpuMeter) -> None:
    devices = [Device(port, f"bm-dev-{i:02d}", branch) for i in range(1, scale.devices + 1)]
    for d in devices:
        d.sign_in()
    for d in devices:  # each starts from an empty, caught-up store
        d.catch_up(scale.page)
        d.seen.clear()
    barrier = threading.Barrier(len(devices))
    pushes: list[list[Exchange]] = [[] for _ in devices]
    pulls: list[list[Exchange]] = [[] for _ in devices]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        dev = devices[i]
        rng = random.Random(1000 + i)
        try:
            barrier.wait()
            for _ in range(scale.rounds):
                pushes[i].append(dev.push(dev.new_mutations(rng, scale.per_round)))
                pulls[i].extend(dev.catch_up(scale.page))
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(devices))]
    cpu = meter.snapshot()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    cpu_note = meter.describe(cpu, seconds)
    if errors:
        raise errors[0]
    all_push = [e for xs in pushes for e in xs]
    all_pull = [e for xs in pulls for e in xs]
    records = len(devices) * scale.rounds * scale.per_round
    row = Row(
        f"d. {len(devices)} devices × {scale.rounds} rounds",
        records,
        seconds,
        all_push + all_pull,
        note=f"   (push p50/p95 {pct([e.seconds * 1000 for e in all_push], 50):.0f}/"
        f"{pct([e.seconds * 1000 for e in all_push], 95):.0f} ms, "
        f"pull p50/p95 {pct([e.seconds * 1000 for e in all_pull], 50):.0f}/"
        f"{pct([e.seconds * 1000 for e in all_pull], 95):.0f} ms)",
        cpu=cpu_note,
    )
    o.rows.append(row)
    p95 = row.ms(95)
    o.targets.append(
        (
            f"d. {len(devices)} concurrent devices p95 < {TARGET_CONCURRENT_P95_MS:g} ms/request",
            f"{p95:.0f} ms",
            p95 < TARGET_CONCURRENT_P95_MS,
        )
    )

    # Everyone catches up once more, then downloads everything afresh: both views must
    # hold exactly the records all devices created.
    for d in devices:
        d.catch_up(scale.page)
    created = {rid for d in devices for rid in d.created}
    inc_missed = inc_dup = full_missed = full_dup = extra = 0
    for d in devices:
        inc_missed += len(created - set(d.seen))
        inc_dup += sum(1 for n in d.seen.values() if n > 1)
        extra += len(set(d.seen) - created)
        _, ids = d.full_download(scale.page)
        full_missed += len(created - set(ids))
        full_dup += len(ids) - len(set(ids))
        extra += len(set(ids) - created)
    o.checks.append(
        (
            "d. incremental pulls: zero missed, zero duplicated",
            f"missed {inc_missed}, dup {inc_dup}",
            inc_missed == 0 and inc_dup == 0,
        )
    )
    o.checks.append(
        (
            "d. full download per device: exact set",
            f"missed {full_missed}, dup {full_dup}, extra {extra}",
            full_missed == 0 and full_dup == 0 and extra == 0,
        )
    )
    o.extra["concurrent_created"] = len(created)


def _drop_after_send(port: int, dev: Device, raw: bytes) -> None:
    """Send a push and hang up without reading a byte of the answer (a lost response)."""
    body = gzip.compress(raw, compresslevel=6, mtime=0)
    head = (
        f"POST {API}/sync/push HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Sodoan-Protocol: 1\r\nAuthorization: Bearer {dev.token}\r\n"
        "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Accept-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((HOST, port)) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)


def scenario_retry(o: Outcome, port: int, branch: int, scale: Scale, rng: random.Random) -> None:
    dev = Device(port, "bm-retry", branch)
    dev.sign_in()
    exchanges = []

    # 1. the answer came back but the phone lost it: resend the very same batch.
    first = dev.new_mutations(rng, scale.retry_batch)
    raw = dev.push_body(first)
    ex1 = dev.push(first, raw)
    ex2 = dev.push(first, raw)
    exchanges += [ex1, ex2]
    same_answer = ex1.body == ex2.body

    # 2. the connection dropped before a byte of the answer was read.
    second = dev.new_mutations(rng, scale.retry_batch)
    raw2 = dev.push_body(second)
    _drop_after_send(port, dev, raw2)
    # Did the server apply the batch whose answer was lost? Then the retry must be answered
    # from what it kept; if not, applied now. Either way nothing twice: say which it was.
    time.sleep(0.5)
    onlooker = Device(port, "bm-retry", branch)
    onlooker.sign_in()
    _, seen = onlooker.full_download(scale.page)
    applied_before_retry = {m["id"] for m in second} <= set(seen)
    ex3 = dev.push(second, raw2)
    ex4 = dev.push(second, raw2)
    exchanges += [ex3, ex4]
    same_after_drop = ex3.body == ex4.body
    versions_ok = all(
        r["status"] == "applied" and r["version"] == 1 for r in ex3.body["results"]
    ) and [r["id"] for r in ex3.body["results"]] == [m["id"] for m in second]

    _, ids = dev.full_download(scale.page)
    created = set(dev.created)
    dup = len(ids) - len(set(ids))
    missed = len(created - set(ids))
    extra = len(set(ids) - created)
    o.rows.append(
        Row(
            f"e. retried push ({scale.retry_batch}) ×2",
            0,
            sum(e.seconds for e in exchanges),
            exchanges,
            note=f"   (first send {ex1.seconds * 1000:.0f} ms, replay {ex2.seconds * 1000:.0f} ms)",
        )
    )
    o.checks.append(
        ("e. retry answers equal the first answer", str(same_answer), same_answer),
    )
    o.checks.append(
        (
            "e. retry after a dropped connection",
            f"same answer {same_after_drop}, v1 {versions_ok}, the lost push had "
            f"{'been applied' if applied_before_retry else 'not been applied'} before the retry",
            same_after_drop and versions_ok,
        )
    )
    o.checks.append(
        (
            "e. full pull after retries: no duplicates",
            f"{len(ids)} ids, missed {missed}, dup {dup}, extra {extra}",
            dup == 0 and missed == 0 and extra == 0,
        )
    )


def bench_backend(backend: str, scale: Scale) -> Outcome:
    o = Outcome(backend)
    db = Database(backend)
    server = None
    started = time.perf_counter()
    try:
        o.extra["database_version"] = db.version()
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SODOAN_ENV": "production",
        }
        env.pop("FLASK_APP", None)
        flask = [str(BIN / "flask"), "--app", "server"]
        run([*flask, "db", "upgrade"], env, "flask db upgrade")
        run([*flask, "seed-catalogue"], env, "flask seed-catalogue")
        branches = {
            "backlog": ["bm-writer", "bm-reader"],
            "crowd": [f"bm-dev-{i:02d}" for i in range(1, scale.devices + 1)],
            "retry": ["bm-retry"],
        }
        spec = json.dumps({"password": PASSWORD, "branches": branches})
        out = run([str(BIN / "python"), "-c", SEED, spec], env, "seeding the unit tree")
        line = next(x for x in out.splitlines() if x.startswith("BENCH_SETUP "))
        ids = json.loads(line.removeprefix("BENCH_SETUP "))
        o.extra["setup_seconds"] = time.perf_counter() - started
        print(f"[{backend}] database ready ({o.extra['database_version']}); starting gunicorn")

        server = Server(env, db.tmp / "gunicorn.log")
        meter = CpuMeter(server.proc.pid, db.name if backend == "postgresql" else None)
        rng = random.Random(20261127)
        print(f"[{backend}] a/b: backlog push and initial pull")
        reader = scenario_backlog_and_initial(
            o, server.port, ids["backlog"], scale, rng, meter, settle=db.settle
        )
        print(f"[{backend}] c: idle polls")
        scenario_idle(o, reader, scale)
        print(f"[{backend}] d: {scale.devices} concurrent devices")
        scenario_concurrent(o, server.port, ids["crowd"], scale, meter)
        print(f"[{backend}] e: retried push")
        scenario_retry(o, server.port, ids["retry"], scale, rng)
    except BaseException:
        if server is not None:
            print(f"--- gunicorn log ({backend}) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        db.close()
    o.extra["total_seconds"] = time.perf_counter() - started
    return o


def sh(*cmd: str) -> str:
    """A command's output in the repository, or "?" where it cannot run."""
    try:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def cpu_model() -> str:
    import platform

    return next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )


def describe_run(args: argparse.Namespace, scale: Scale) -> str:
    """Machine, date and code state, so that a table can be traced back to a run."""
    import hashlib
    import platform
    import sqlite3

    cpu = cpu_model()
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    diff = subprocess.run(["git", "diff", "HEAD"], cwd=ROOT, capture_output=True).stdout
    return "\n".join(
        [
            f"sync_bench {' '.join(sys.argv[1:]) or '(defaults)'} — "
            + time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            f"machine: {os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.platform()}",
            f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
            f"code: {sh('git', 'rev-parse', '--short', 'HEAD')}"
            + (
                f" + uncommitted changes in {len(dirty)} files "
                f"(git diff HEAD sha256 {hashlib.sha256(diff).hexdigest()[:12]}): "
                + ", ".join(line[3:] for line in dirty)
                if dirty
                else " (clean)"
            ),
            f"scale: {scale}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="everything ~10× smaller (smoke)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    print(describe_run(args, scale))
    outcomes, crashed = [], []
    for backend in backends:
        try:
            outcomes.append(bench_backend(backend, scale))
        except Exception as exc:  # report, and still run the other backend
            import traceback

            traceback.print_exc()
            crashed.append((backend, f"{type(exc).__name__}: {exc}"))
    for o in outcomes:
        print_outcome(o)
        print(
            f"(set-up {o.extra['setup_seconds']:.1f} s; untimed fill of "
            f"{o.extra['fill_records']:,} records {o.extra['fill_seconds']:.1f} s; "
            f"backend total {o.extra['total_seconds']:.1f} s)"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "backend": o.backend,
                        "rows": [
                            {
                                "scenario": r.scenario,
                                "records": r.records,
                                "seconds": r.seconds,
                                "requests": r.requests,
                                "bytes_up": r.up,
                                "bytes_down": r.down,
                                "p50_ms": r.ms(50),
                                "p95_ms": r.ms(95),
                            }
                            for r in o.rows
                        ],
                        "targets": o.targets,
                        "checks": o.checks,
                        "extra": o.extra,
                    }
                    for o in outcomes
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
    failed = [(o.backend, name) for o in outcomes for name, _, ok in o.checks if not ok]
    failed += [(backend, f"run aborted: {why}") for backend, why in crashed]
    if failed:
        print(f"\nCORRECTNESS FAILED: {failed}")
        return 1
    print("\nAll correctness checks passed (targets are reported above, PASS/MISS).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
