"""Report benchmark: the province's overview for a year and a branch's drill-down, over
1,000,000 activities in 5,000 branches, on PostgreSQL and SQLite; or, with ``--national``,
10,000,000 activities in 100,000 branches (100 provinces of 1,000 branches) on PostgreSQL.

    .venv/bin/python bench/report_bench.py                    # both backends
    .venv/bin/python bench/report_bench.py --backend postgresql --activities 200000
    .venv/bin/python bench/report_bench.py --national         # issue 16 §4, PostgreSQL

With ``--national`` the timed province is one of the 100 (the others are the rest of the
country, in the same tables), and its completeness page for the year is timed too.

Each backend gets a fresh database (migrated with the app's migrations), a generated
tree (province → 10 districts → 50 grassroots unions each → 10 branches each = 5,000
branches, 5,511 units), and ``--activities`` activities spread evenly over the branches
and over 2024–2026, with varied types, statuses, figures and quantities. Rows are
written in bulk (``COPY`` on PostgreSQL, ``executemany`` on SQLite) and the database is
analysed before timing. The ``wire`` column of the generated rows holds ``{}``: pulls are
not measured here and rendering a million records would only slow the set-up. Three
activities in five carry ``proven`` (a stored photo, decision 191) without photo rows:
the report pages count them from the totals and never read the photos.

Timed, through the Flask app in-process (routing, the policy, the queries, the
template — no network): ``GET /reports/<province>?p=<year>`` as provincial staff and
``GET /reports/<branch>?p=<year>`` for 20 different branches; each request ``--repeat``
times. Prints p50/p95/max and the number of SQL statements per request (no N+1: it
does not grow with the number of units or activities). Then, three times, 200 activities
are edited and the province's overview read with the edits waiting, the totals worker's
step timed, and the overview read again (a report read never refreshes: decision 55).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DISTRICTS, UNIONS, BRANCHES = 10, 50, 10
#: The national shape: 100 provinces × 10 districts × 10 grassroots unions × 10 branches.
NATIONAL = {"provinces": 100, "districts": 10, "unions": 10, "branches": 10}
YEARS = (2024, 2025, 2026)
TARGET_PROVINCE_MS = 500
TARGET_BRANCH_MS = 100
TARGET_COMPLETENESS_MS = 500
# The server's maintenance database, only to create and drop the bench's own database
# (another engineer's test databases on the same server are never touched).
PG_ADMIN = os.environ.get(
    "REPORT_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def log(msg: str) -> None:
    print(msg, flush=True)


def build_tree(
    conn, begin: date, shape: dict[str, int] | None = None
) -> tuple[list[int], list[int]]:
    """Units and the closure table written directly (create_unit per unit is minutes).

    The provinces' ids, and every branch's id (the first province's branches first)."""
    from server.models import Unit, UnitClosure, UnitName

    shape = shape or {
        "provinces": 1,
        "districts": DISTRICTS,
        "unions": UNIONS,
        "branches": BRANCHES,
    }
    units, closure, names = [], [], []
    next_id = 1

    def add(code: str, name: str, kind: str, parent: int | None, depth: int, ancestors):
        nonlocal next_id
        uid = next_id
        next_id += 1
        units.append(
            {
                "id": uid,
                "code": code,
                "name": name,
                "name_fold": name.lower(),
                "kind": kind,
                "parent_id": parent,
                "depth": depth,
                "border_area": False,
                "opened_on": begin,
            }
        )
        names.append({"unit_id": uid, "name": name, "valid_from": begin})
        for distance, anc in enumerate([uid, *ancestors]):
            closure.append(
                {
                    "ancestor_id": anc,
                    "descendant_id": uid,
                    "distance": distance,
                    "valid_from": begin,
                }
            )
        return uid

    def flush() -> None:
        for table, rows in (
            (Unit.__table__, units),
            (UnitClosure.__table__, closure),
            (UnitName.__table__, names),
        ):
            if rows:
                conn.execute(table.insert(), rows)
                rows.clear()

    provinces, branches = [], []
    for p in range(shape["provinces"]):
        code = "P" if shape["provinces"] == 1 else f"P{p}"
        name = "Tỉnh Đoàn Bench" if shape["provinces"] == 1 else f"Tỉnh Đoàn Bench {p}"
        province = add(code, name, "province", None, 0, [])
        provinces.append(province)
        for d in range(shape["districts"]):
            did = add(f"{code}-{d}", f"Huyện Đoàn {d}", "district", province, 1, [province])
            for g in range(shape["unions"]):
                gid = add(
                    f"{code}-{d}-{g}", f"Đoàn cơ sở {d}.{g}", "grassroots", did, 2, [did, province]
                )
                for b in range(shape["branches"]):
                    branches.append(
                        add(
                            f"{code}-{d}-{g}-{b}",
                            f"Chi đoàn {d}.{g}.{b}",
                            "branch",
                            gid,
                            3,
                            [gid, did, province],
                        )
                    )
        if len(units) >= 50_000:  # a national tree is written in parts
            flush()
    flush()
    return provinces, branches


def activity_rows(branches: list[int], total: int, types: list[tuple[int, list[dict]]]):
    rng = random.Random(2015)
    per_branch = total // len(branches)
    start = date(YEARS[0], 1, 1)
    days = (date(YEARS[-1], 12, 31) - start).days
    now = datetime(2026, 11, 27, tzinfo=UTC)
    seq = 0
    for unit_id in branches:
        for _ in range(per_branch):
            seq += 1
            type_id, specs = rng.choice(types)
            on = start + timedelta(days=rng.randint(0, days))
            quantities = {s["code"]: rng.randint(0, 40) for s in specs[:2]}
            members = rng.randint(2, 40)
            yield {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "unit_id": unit_id,
                "type_id": type_id,
                "title": f"Hoạt động {seq}",
                "starts_on": on,
                "ends_on": on,
                "place": "",
                "members_count": members,
                "citizens_served": rng.randint(0, 200),
                "volunteer_hours": members * rng.randint(1, 8),
                "quantities": quantities,
                "description": "",
                "status": rng.choice(("submitted", "verified", "verified", "draft")),
                "search_fold": f"hoat dong {seq}",
                "created_at": now,
                "updated_at": now,
                "recorded_at_suspect": False,
                "version": 1,
                "field_versions": {},
                "change_seq": seq,
                "wire": "{}",
                # Three in five with a stored photo, as the totals count them (decision
                # 191); the photos themselves are not made (the page reads only the flag).
                "proven": rng.random() < 0.6,
            }


COLUMNS = [
    "id",
    "unit_id",
    "type_id",
    "title",
    "starts_on",
    "ends_on",
    "place",
    "members_count",
    "citizens_served",
    "volunteer_hours",
    "quantities",
    "description",
    "status",
    "search_fold",
    "created_at",
    "updated_at",
    "recorded_at_suspect",
    "version",
    "field_versions",
    "change_seq",
    "wire",
    "proven",
]


def load_activities(app, branches, total: int) -> None:
    import json

    from sqlalchemy import select, text

    from server.extensions import db
    from server.models import Activity, ActivityType

    types = [(t.id, t.quantities) for t in db.session.scalars(select(ActivityType))]
    rows = activity_rows(branches, total, types)
    engine = db.engine
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY activities ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(
                        [
                            json.dumps(r[c]) if c in ("quantities", "field_versions") else r[c]
                            for c in COLUMNS
                        ]
                    )
            cur.execute("UPDATE sync_state SET last_change = %s", (total,))
            raw.commit()
        finally:
            raw.close()
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        return
    batch = []
    with engine.begin() as conn:
        for r in rows:
            batch.append(r)
            if len(batch) == 20_000:
                conn.execute(Activity.__table__.insert(), batch)
                batch = []
        if batch:
            conn.execute(Activity.__table__.insert(), batch)
        conn.execute(text("UPDATE sync_state SET last_change = :n"), {"n": total})
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def kept(db) -> tuple[list[int], list[int], int]:
    """The provinces, branches (in the order they were built) and activity count of a
    database this bench filled before."""
    from sqlalchemy import func, select

    from server.models import Activity, Unit

    def ids(kind: str) -> list[int]:
        return list(db.session.scalars(select(Unit.id).where(Unit.kind == kind).order_by(Unit.id)))

    count = db.session.scalar(select(func.count()).select_from(Activity))
    return ids("province"), ids("branch"), count


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run_backend(
    backend: str, total: int, repeat: int, national: bool = False, keep: str | None = None
) -> dict:
    """``keep``: a PostgreSQL database of that name is filled once and kept; a later run
    with the same name times it again without the set-up (ten million rows take long to
    write on two cores, and are best timed on a quiet machine)."""
    from sqlalchemy import create_engine, event, text

    tmp = Path(tempfile.mkdtemp(prefix="sodoan_report_bench_"))
    # Named after the bench, this process and a random tag: two benches on one server
    # (other worktrees, other engineers) never drop each other's database.
    name = keep or f"sodoan_report_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = None
    reuse = False
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            exists = c.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            reuse = bool(keep and exists)
            if not reuse:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    # Warnings only: an access line per page would bury the figures.
    os.environ.update(
        SODOAN_ENV="production",
        SECRET_KEY=os.urandom(24).hex(),
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
    )
    from flask_migrate import upgrade

    from server import create_app
    from server.database import NO_REQUEST_LIMITS
    from server.extensions import db
    from server.models import Unit, User
    from server.reports.totals import rebuild_all
    from server.seed.catalogue import seed_catalogue
    from tests import factories as f

    # Loading a million rows and rebuilding their totals is maintenance, not a request.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            # A config given to create_app is not read from the environment.
            "LOG_LEVEL": "WARNING",
            **NO_REQUEST_LIMITS,
        }
    )
    try:
        started = time.perf_counter()
        build = 0.0
        with app.app_context():
            upgrade(directory=str(ROOT / "server" / "migrations"))
            if reuse:
                provinces, branches, total = kept(db)
                own = branches[: len(branches) // len(provinces)]
                province = provinces[0]
                log(f"[{backend}] reusing {name}: {len(branches):,} branches, {total:,} activities")
            else:
                seed_catalogue()
                db.session.commit()
                with db.engine.begin() as conn:
                    provinces, branches = build_tree(
                        conn, date(2015, 1, 1), NATIONAL if national else None
                    )
                province = provinces[0]
                # The timed province's own branches (the first ones built).
                own = branches[: len(branches) // len(provinces)]
                f.user("tinh", db.session.get(Unit, province), role="provincial_staff")
                db.session.commit()
                log(
                    f"[{backend}] {len(provinces)} province(s), {len(branches):,} branches; "
                    f"loading {total:,} activities …"
                )
                load_activities(app, branches, total)
                assert db.session.query(User).count() == 1
                t = time.perf_counter()
                days = rebuild_all(db.session())
                build = time.perf_counter() - t
                log(f"[{backend}] report totals built: {days:,} rows in {build:.1f} s")
        setup = time.perf_counter() - started
        log(f"[{backend}] set-up {setup:.0f} s")

        client = app.test_client()
        resp = client.post("/login", data={"username": "tinh", "password": f.PASSWORD})
        assert resp.status_code == 302, resp.status_code
        statements: list[str] = []
        timings: list[tuple[float, str]] = []

        def before(conn, cursor, statement, params, context, many):
            statements.append(statement)
            context._bench_t = time.perf_counter()

        def after(conn, cursor, statement, params, context, many):
            timings.append((time.perf_counter() - context._bench_t, statement))

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", before)
            event.listen(db.engine, "after_cursor_execute", after)

        def timed(path: str) -> tuple[float, int]:
            statements.clear()
            t = time.perf_counter()
            r = client.get(path)
            ms = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, (path, r.status_code)
            return ms, len(statements)

        year = YEARS[-1]
        timed(f"/reports/{province}?p={year}")  # warm-up: caches, first connection
        province_ms, province_sql = [], 0
        for _ in range(repeat):
            ms, province_sql = timed(f"/reports/{province}?p={year}")
            province_ms.append(ms)
        rng = random.Random(7)
        branch_ms, branch_sql = [], 0
        for b in rng.sample(own, 20):
            for _ in range(max(1, repeat // 5)):
                ms, branch_sql = timed(f"/reports/{b}?p={year}")
                branch_ms.append(ms)
        completeness_ms, completeness_sql = [], 0
        if national:
            timed(f"/reports/{province}/completeness?p={year}")
            for _ in range(repeat):
                ms, completeness_sql = timed(f"/reports/{province}/completeness?p={year}")
                completeness_ms.append(ms)
        # A sync lands: 200 activities of random branches edited through the ORM (their
        # deltas recorded). The overview is read with them waiting (a pure read: it shows
        # the figures as they were, and says so), then the totals worker takes one step,
        # then the overview is read again.
        from sqlalchemy import select as _select

        from server.models import Activity
        from server.reports.worker import step

        after_sync = []
        for round_ in range(3):
            with app.app_context():
                picked = db.session.scalars(
                    _select(Activity).where(Activity.change_seq % 5000 == round_).limit(200)
                ).all()
                for a in picked:
                    a.members_count += 1
                db.session.commit()
            waiting_ms, _ = timed(f"/reports/{province}?p={year}")
            with app.app_context():
                t = time.perf_counter()
                step(db.session())
                step_ms = (time.perf_counter() - t) * 1000
                db.session.remove()
            ms, _ = timed(f"/reports/{province}?p={year}")
            after_sync.append((waiting_ms, step_ms, ms))

        timings.clear()
        timed(f"/reports/{branches[0]}?p={year}")
        slowest_branch = sorted(timings, reverse=True)[:4]
        timings.clear()
        timed(f"/reports/{province}?p={year}")
        slowest = sorted(timings, reverse=True)[:6]
        return {
            "slowest": [(round(t * 1000, 1), " ".join(st.split())[:160]) for t, st in slowest],
            "slowest_branch": [
                (round(t * 1000, 1), " ".join(st.split())[:160]) for t, st in slowest_branch
            ],
            "backend": backend,
            "activities": total,
            "setup_s": setup,
            "province": province_ms,
            "province_sql": province_sql,
            "branch": branch_ms,
            "branch_sql": branch_sql,
            "completeness": completeness_ms,
            "completeness_sql": completeness_sql,
            "after_sync": after_sync,
            "build_s": build,
        }
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None and not keep and not os.environ.get("REPORT_BENCH_KEEP"):
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def report(result: dict) -> None:
    for key, target, label in (
        ("province", TARGET_PROVINCE_MS, "province overview, one year"),
        ("branch", TARGET_BRANCH_MS, "branch drill-down, one year"),
        ("completeness", TARGET_COMPLETENESS_MS, "province completeness, one year"),
    ):
        values = result[key]
        if not values:
            continue
        p95 = pct(values, 95)
        log(
            f"  {label:32} n={len(values):3}  p50 {statistics.median(values):7.1f} ms  "
            f"p95 {p95:7.1f} ms  max {max(values):7.1f} ms  SQL/request {result[key + '_sql']:3}"
            f"  target < {target} ms: {'PASS' if p95 < target else 'MISS'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--national",
        action="store_true",
        help="100 provinces of 1,000 branches; default 10,000,000 activities, PostgreSQL",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="PostgreSQL: fill database NAME once and keep it; later runs time it again",
    )
    args = parser.parse_args(argv)
    if args.national:
        if args.backend == "both":
            args.backend = "postgresql"
        if args.activities == parser.get_default("activities"):
            args.activities = 10_000_000
    log(f"report_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs")
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    for backend in backends:
        # Each backend in its own process state: the app reads DATABASE_URL at import.
        result = run_backend(backend, args.activities, args.repeat, args.national, args.keep)
        log(f"=== {backend}: {result['activities']:,} activities ===")
        report(result)
        log(
            "  200 edited activities: overview with them waiting / worker step / overview after: "
            + ", ".join(f"{w:.0f} / {s:.0f} / {ms:.0f} ms" for w, s, ms in result["after_sync"])
        )
        log(f"  building the totals from scratch: {result['build_s']:.1f} s")
        log("  slowest statements of one province overview:")
        for ms, statement in result["slowest"]:
            log(f"    {ms:8.1f} ms  {statement}")
        log("  slowest statements of one branch drill-down:")
        for ms, statement in result["slowest_branch"]:
            log(f"    {ms:8.1f} ms  {statement}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
