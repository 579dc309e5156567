"""Where a sync request's time goes, in-process: SQL statements per request, server time,
and optionally a cProfile of the push and pull views.

    .venv/bin/python bench/sync_profile.py [--backend sqlite|postgresql] [--cprofile]
    .venv/bin/python bench/sync_profile.py --backend postgresql --envelope 20

``bench/sync_bench.py`` measures what a phone sees over real HTTP; this is its microscope.
The same scenarios (a 2,000-record backlog in batches of 200, as many edits of those
records in batches of 200, a 20,000-record first download in pages of 5,000, idle polls)
run through Flask's test client on a fresh, migrated database, and every statement
SQLAlchemy sends is counted per request
(``BEGIN``/``COMMIT``/``ROLLBACK`` are not statements here). No network, no gunicorn: the
times are the server's own work, without the ±25 % of the VM's HTTP and scheduling.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import pstats
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench.sync_bench import PASSWORD, Database, make_record  # noqa: E402

HEADERS = {"Sodoan-Protocol": "1", "Accept-Encoding": "gzip"}


class StatementCounter:
    """Counts the statements an engine executes (``executemany`` counts once; the
    ``BEGIN`` SQLite is sent explicitly is not counted, as PostgreSQL's is implicit)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.texts: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            return
        self.count += 1
        self.texts.append(" ".join(statement.split())[:110])

    @contextmanager
    def measure(self) -> Iterator[list[str]]:
        self.count, self.texts = 0, []
        yield self.texts


def _setup(url: str) -> tuple[Any, dict[str, int]]:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db
    from server.models import UnitKind
    from server.seed.catalogue import seed_catalogue
    from tests import factories as f

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "profile"})
    with app.app_context():
        upgrade()
        seed_catalogue()
        province = f.unit("PROF", None, UnitKind.PROVINCE, name="Tỉnh Đoàn (đo)")
        commune = f.unit("PROF-TH", province, UnitKind.COMMUNE, name="Đoàn xã (đo)")
        branch = f.unit("PROF-TH-01", commune, name="Chi đoàn (đo)")
        for name in ("writer", "reader"):
            f.user(name, branch, full_name=f"Đoàn viên {name}")
        db.session.commit()
        ids = {"branch": branch.id}
    return app, ids


class Phone:
    def __init__(self, app: Any, username: str, unit_id: int) -> None:
        self.client = app.test_client()
        self.device_id = str(uuid.uuid4())
        self.unit_id = unit_id
        self.next_n = 1
        self.sent: dict[str, dict] = {}
        resp = self.client.post(
            "/api/v1/devices",
            headers=HEADERS,
            json={"username": username, "password": PASSWORD, "device_id": self.device_id},
        )
        assert resp.status_code == 201, resp.get_json()
        self.token = resp.get_json()["token"]

    def _post(self, path: str, body: bytes, gz: bool) -> Any:
        headers = {**HEADERS, "Authorization": f"Bearer {self.token}"}
        if gz:
            headers["Content-Encoding"] = "gzip"
        resp = self.client.post(path, data=body, headers=headers, content_type="application/json")
        assert resp.status_code == 200, resp.get_data()[:300]
        return resp

    def push_body(self, rng: random.Random, count: int) -> bytes:
        mutations = []
        for _ in range(count):
            record = make_record(rng, self.unit_id, self.next_n)
            record_id = str(uuid.uuid4())
            self.sent[record_id] = record
            mutations.append(
                {
                    "n": self.next_n,
                    "collection": "activities",
                    "op": "upsert",
                    "id": record_id,
                    "base_version": None,
                    "record": record,
                }
            )
            self.next_n += 1
        return self._body(mutations)

    def edit_body(self, count: int) -> bytes:
        """Edits of ``count`` records this phone created (version 1): a new title and
        place each, as a person correcting last month's entries does."""
        mutations = []
        for record_id in list(self.sent)[:count]:
            record = self.sent.pop(record_id)
            record = {**record, "title": record["title"] + " (sửa)", "place": "Nhà văn hoá"}
            mutations.append(
                {
                    "n": self.next_n,
                    "collection": "activities",
                    "op": "upsert",
                    "id": record_id,
                    "base_version": 1,
                    "record": record,
                    "changed": ["title", "place"],
                }
            )
            self.next_n += 1
        return self._body(mutations)

    def _body(self, mutations: list[dict]) -> bytes:
        raw = json.dumps({"device_id": self.device_id, "mutations": mutations}).encode()
        return gzip.compress(raw, 6)

    def push(self, body: bytes) -> None:
        self._post("/api/v1/sync/push", body, True)

    def pull(self, cursor: str | None, reference: str | None, limit: int) -> Any:
        """The raw answer: decoding it is the phone's work, not the server's."""
        body = {
            "device_id": self.device_id,
            "cursor": cursor,
            "limit": limit,
            "reference": reference,
            "outbox": {"count": 0, "oldest": None},
        }
        return self._post("/api/v1/sync/pull", json.dumps(body).encode(), False)


def decode(resp: Any) -> dict:
    raw = resp.get_data()
    if resp.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def _timed(
    counter: StatementCounter, label: str, fn: Callable[[], Any], prof: cProfile.Profile | None
) -> tuple[Any, float, int, list[str]]:
    with counter.measure() as texts:
        started = time.perf_counter()
        if prof is not None:
            prof.enable()
        out = fn()
        if prof is not None:
            prof.disable()
        elapsed = time.perf_counter() - started
    return out, elapsed, counter.count, list(texts)


def envelope_ab(app: Any, unit_id: int, backend: str, rounds: int) -> None:
    """Whether ``schemas.sync.plainly_valid_push`` still pays: 200-record pushes with and
    without it, interleaved (ABBA) so a busy machine weighs on both alike. CPU time is
    this process's: the whole server on SQLite, all but the database's own work on
    PostgreSQL."""
    import statistics

    import server.api.sync as api

    fast = api.plainly_valid_push
    phone = Phone(app, "writer", unit_id)
    rng = random.Random(20261204)
    wall: dict[str, list[float]] = {"with": [], "without": []}
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for i in range(rounds):
            for mode in ("with", "without") if i % 2 else ("without", "with"):
                api.plainly_valid_push = fast if mode == "with" else (lambda _raw: False)
                body = phone.push_body(rng, 200)
                started, used = time.perf_counter(), time.process_time()
                phone.push(body)
                wall[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.process_time() - used)
    finally:
        api.plainly_valid_push = fast
    for mode in wall:
        print(
            f"[{backend}] push 200 new, {mode} the envelope's fast check × {rounds}: "
            f"wall median {statistics.median(wall[mode]) * 1000:.1f} ms "
            f"(min {min(wall[mode]) * 1000:.1f}), CPU median "
            f"{statistics.median(cpu[mode]) * 1000:.1f} ms (min {min(cpu[mode]) * 1000:.1f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cprofile", action="store_true", help="print the top functions")
    parser.add_argument("--statements", action="store_true", help="list one request's SQL")
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--initial", type=int, default=20000)
    parser.add_argument(
        "--envelope",
        type=int,
        metavar="ROUNDS",
        help="only compare pushes with and without the envelope's fast check",
    )
    args = parser.parse_args(argv)

    database = Database(args.backend)
    try:
        app, ids = _setup(database.url)
        if args.envelope:
            envelope_ab(app, ids["branch"], args.backend, args.envelope)
            with app.app_context():
                from server.extensions import db

                db.session.remove()
                db.engine.dispose()
            return 0
        with app.app_context():
            from server.extensions import db

            counter = StatementCounter(db.engine)
        rng = random.Random(20261128)
        writer = Phone(app, "writer", ids["branch"])
        reader = Phone(app, "reader", ids["branch"])
        push_prof = cProfile.Profile() if args.cprofile else None
        pull_prof = cProfile.Profile() if args.cprofile else None

        # a. the backlog: batches of 200, the bodies made before the clock starts.
        bodies = [writer.push_body(rng, 200) for _ in range(args.backlog // 200)]
        seconds, counts = [], []
        for i, body in enumerate(bodies):
            _, s, c, texts = _timed(counter, "push", lambda b=body: writer.push(b), push_prof)
            seconds.append(s)
            counts.append(c)
            if args.statements and i == 1:
                print("statements of one push of 200 new records:")
                print("\n".join(f"  {t}" for t in texts))
        print(
            f"[{args.backend}] push 200 new × {len(bodies)}: total {sum(seconds):.2f} s, "
            f"per batch {min(seconds) * 1000:.0f}–{max(seconds) * 1000:.0f} ms, "
            f"statements per batch {min(counts)}–{max(counts)}"
        )

        # b. edits: 200 records changed in one batch (the ORM path, hooks and all).
        bodies = [writer.edit_body(200) for _ in range(args.backlog // 200)]
        seconds, counts = [], []
        for i, body in enumerate(bodies):
            _, s, c, texts = _timed(counter, "push", lambda b=body: writer.push(b), push_prof)
            seconds.append(s)
            counts.append(c)
            if args.statements and i == 1:
                print("statements of one push of 200 edits:")
                print("\n".join(f"  {t}" for t in texts))
        print(
            f"[{args.backend}] push 200 edits × {len(bodies)}: total {sum(seconds):.2f} s, "
            f"per batch {min(seconds) * 1000:.0f}–{max(seconds) * 1000:.0f} ms, "
            f"statements per batch {min(counts)}–{max(counts)}"
        )

        for _ in range((args.initial - args.backlog) // 200):
            writer.push(writer.push_body(rng, 200))
        database.settle()

        # c. the first download, pages of 5,000, then d. idle polls.
        cursor, reference, pages = None, None, []
        while True:
            resp, s, c, texts = _timed(
                counter, "pull", lambda c=cursor, r=reference: reader.pull(c, r, 5000), pull_prof
            )
            page = decode(resp)
            pages.append((s, c, len(page["changes"])))
            if args.statements and len(pages) == 2:
                print("statements of one middle pull page:")
                print("\n".join(f"  {t}" for t in texts))
            reference = page.get("reference", {}).get("hash", reference)
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        total = sum(p[0] for p in pages)
        print(
            f"[{args.backend}] first download of {sum(p[2] for p in pages):,}: "
            f"{len(pages)} pages, total {total:.2f} s; per page "
            + ", ".join(f"{s * 1000:.0f} ms/{c} stmts" for s, c, _ in pages)
        )
        polls = []
        for i in range(20):
            poll = lambda: reader.pull(cursor, reference, 500)  # noqa: B023, E731
            _, s, c, texts = _timed(counter, "poll", poll, None)
            polls.append((s, c))
            if args.statements and i == 1:
                print("statements of one idle poll:")
                print("\n".join(f"  {t}" for t in texts))
        median = sorted(p[0] for p in polls)[10] * 1000
        counts = sorted(p[1] for p in polls)
        print(
            f"[{args.backend}] idle poll × 20: median {median:.1f} ms,"
            f" statements {counts[0]}–{counts[-1]}"
        )
        for name, prof in (("push", push_prof), ("pull", pull_prof)):
            if prof is None:
                continue
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
            print(f"--- cProfile: {name} ---\n{out.getvalue()}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
