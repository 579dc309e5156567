"""A push writes the records it creates in one INSERT per batch, without the ORM; edits
stay on the ORM. Both paths must leave exactly the same thing behind: the same answers,
the same rows (folded search text, the record kept ready for pulls), the same log, and
report totals that follow.

The ORM path is still the one a batch takes when the database refuses one of its rows
(each mutation is then redone in its own savepoint), so one device's batch goes the new
way and a second device sends the same batch plus one row the database refuses."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import event, select

from server.activities.sync import ActivityCollection
from server.extensions import db
from server.models import Activity
from server.models.activities import search_fold_of
from server.models.reports import report_deltas, report_quantities, report_totals
from server.reports.totals import rebuild_all, refresh
from sync.tables import sync_mutations
from tests.sync.test_push import _refuse_title
from tests.world import activity_record

REFUSED = "Bị cơ sở dữ liệu từ chối"
#: Columns that differ between two copies of one logical record by nature.
OWN = {"id", "change_seq", "created_at", "updated_at", "wire", "submitted_at"}


def _day(n: int) -> str:
    return (date(2026, 11, 1) + timedelta(days=n)).isoformat()


def _setup(world, phone, lan) -> dict[str, uuid.UUID]:
    """Three records the server has before the batch: one to edit, one to delete, one
    that ``lan`` edits first so the batch's edit conflicts."""
    b1 = world.ids["b1"]
    ids = {name: uuid.uuid4() for name in ("edit", "delete", "conflict")}
    phone.push(*[phone.mutation("upsert", i, activity_record(b1, title=k)) for k, i in ids.items()])
    base = activity_record(b1, title="conflict")
    out = lan.push(
        lan.mutation(
            "upsert",
            ids["conflict"],
            {**base, "place": "Nhà lan"},
            base_version=1,
            changed=["place"],
        )
    )
    assert out["results"][0]["status"] == "applied"
    return ids


def _mixed_batch(world, phone, old: dict[str, uuid.UUID]) -> tuple[list[dict], dict]:
    """New records (one edited and one deleted in the same batch, one invalid and the edit
    that depends on it, one with an implausible phone clock), edits and deletes of existing
    ones, a conflict."""
    b1 = world.ids["b1"]
    ids = {**old, **{f"new{i}": uuid.uuid4() for i in range(1, 6)}}
    n2 = activity_record(b1, title="Mới 2", starts_on=_day(2), ends_on=_day(2))
    n4 = activity_record(b1, title="Mới 4", members_count=-3)
    m = phone.mutation
    batch = [
        m("upsert", ids["new1"], activity_record(b1, title="Mới 1 Cao Bằng", place="Nà Mạ")),
        m("upsert", ids["new2"], n2),
        m("upsert", ids["new2"], {**n2, "title": "Mới 2, sửa"}, base_version=1, changed=["title"]),
        m("upsert", ids["new3"], activity_record(b1, title="Mới 3", starts_on=_day(3))),
        m("delete", ids["new3"], base_version=1),
        m(
            "upsert",
            ids["edit"],
            activity_record(b1, title="edit", place="Xóm mới"),
            base_version=1,
            changed=["place"],
        ),
        m("delete", ids["delete"], base_version=1),
        m(
            "upsert",
            ids["conflict"],
            activity_record(b1, title="conflict", place="Nhà tôi"),
            base_version=1,
            changed=["place"],
        ),
        m("upsert", ids["new4"], n4),
        m("upsert", ids["new4"], {**n4, "members_count": 3}, base_version=None),
        m(
            "upsert",
            ids["new5"],
            activity_record(
                b1,
                type="tinh_nguyen",
                title="Mới 5",
                starts_on=_day(5),
                ends_on=_day(6),
                quantities={"work_days": 4},
                volunteer_hours="7.5",
                status="submitted",
                recorded_at="2001-01-01T08:00:00+07:00",
            ),
        ),
    ]
    return batch, ids


def _normal(value, names: dict[str, str]):
    """An answer or log row with record ids replaced by their roles; conflict ids and the
    server's timestamps dropped."""
    text = json.dumps(value, sort_keys=True, default=str)
    for rid, name in names.items():
        text = text.replace(rid, name).replace(rid.replace("-", ""), name)

    def drop_conflict_ids(v):
        if isinstance(v, list):
            return [drop_conflict_ids(x) for x in v]
        if isinstance(v, dict):
            out = {k: drop_conflict_ids(x) for k, x in v.items()}
            for c in out.get("conflicts", []):
                c.pop("id", None)
            if isinstance(out.get("record"), dict):  # server times, not the path's doing
                out["record"].pop("created_at", None)
                out["record"].pop("updated_at", None)
            return out
        return v

    return drop_conflict_ids(json.loads(text))


def _rows(ids: dict[str, uuid.UUID]) -> dict[str, dict]:
    coll = ActivityCollection()
    out = {}
    for name, rid in ids.items():
        a = db.session.get(Activity, rid)
        if a is None:
            out[name] = None
            continue
        assert json.loads(a.wire) == coll.to_wire(a), name  # kept ready, never stale
        assert a.search_fold == search_fold_of(a.title, a.place)
        record = json.loads(a.wire)
        del record["created_at"], record["updated_at"]
        row = {c: getattr(a, c) for c in Activity.__table__.columns.keys() if c not in OWN}
        out[name] = {**row, "record": record, "deleted": a.deleted_at is not None}
        out[name]["submitted"] = a.submitted_at is not None  # server time: only whether
        out[name]["deleted_at"] = None
    return out


def _log(device_id: uuid.UUID, names: dict[str, str], since: int) -> list:
    rows = db.session.execute(
        select(sync_mutations)
        .where(sync_mutations.c.device_id == device_id, sync_mutations.c.n > since)
        .order_by(sync_mutations.c.n)
    ).all()
    return [
        _normal(
            {
                "n": r.n,
                "status": r.status,
                "record_id": str(r.record_id),
                "version": r.version,
                "result": r.result,
                "kept": r.payload is not None,
            },
            names,
        )
        for r in rows
    ]


def _push_counting_inserts(world, phone, batch) -> tuple[dict, int]:
    seen = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ACTIVITIES"):
            seen.append(statement)

    with world.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        out = phone.push(*batch)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return out, len(seen)


def _deltas() -> dict:
    """The report deltas waiting, summed per (unit, day, type), the ones that cancel out
    left out (the two paths split them into rows differently)."""
    sums: dict = {}
    for r in db.session.execute(select(report_deltas)):
        mine = sums.setdefault((r.unit_id, r.day, r.type_id), [0, 0, 0, 0, Decimal(0), {}])
        for i, name in enumerate(("activities", "verified", "members", "citizens")):
            mine[i] += getattr(r, name)
        mine[4] += Decimal(str(r.hours))
        for code, v in r.quantities.items():
            mine[5][code] = mine[5].get(code, Decimal(0)) + Decimal(v)
    out = {}
    for key, (*figures, amounts) in sums.items():
        amounts = {code: v for code, v in amounts.items() if v}
        if any(figures) or amounts:
            out[key] = (*figures, amounts)
    return out


def _totals() -> list:
    return [
        sorted(tuple(str(v) for v in r) for r in db.session.execute(select(t)))
        for t in (report_totals, report_quantities)
    ]


def test_new_records_in_one_insert_match_the_orm_path(world):
    fast, slow, lan = world.phone("hoa"), world.phone("hoa"), world.phone("lan")
    _refuse_title(world.app, REFUSED)
    runs = {}
    for label, phone in (("fast", fast), ("slow", slow)):
        old = _setup(world, phone, lan)
        batch, ids = _mixed_batch(world, phone, old)
        if label == "slow":
            refused = uuid.uuid4()
            record = activity_record(world.ids["b1"], title=REFUSED)
            batch.append(phone.mutation("upsert", refused, record))
        with world.app.app_context():
            refresh(db.session())  # applies the deltas of the set-up
            db.session.commit()
        since = batch[0]["n"] - 1
        out, inserts = _push_counting_inserts(world, phone, batch)
        names = {str(rid): name for name, rid in ids.items()}
        results = out["results"]
        if label == "slow":
            assert results[-1]["status"] == "rejected"
            assert results[-1]["reason"]["code"] == "storage_refused"
            results = results[:-1]
        with world.app.app_context():
            runs[label] = {
                "inserts": inserts,
                "answers": _normal(results, names),
                "rows": _rows(ids),
                "log": _log(phone.device_id, names, since)[: len(results)],
                "deltas": _deltas(),
            }
            db.session.rollback()

    fast_run, slow_run = runs["fast"], runs["slow"]
    # The new path: one INSERT for the batch's four new records (the invalid one is not
    # written); the ORM path: one per record, each in its own savepoint.
    assert fast_run["inserts"] == 1
    assert slow_run["inserts"] >= 4
    statuses = [r["status"] for r in fast_run["answers"]]
    assert statuses == [
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "conflict",
        "rejected",
        "rejected",
        "applied",
    ]
    for key in ("answers", "rows", "log", "deltas"):
        assert fast_run[key] == slow_run[key], key
    rows = fast_run["rows"]
    assert rows["new4"] is None
    assert rows["new3"]["deleted"] and rows["new3"]["version"] == 2
    assert rows["new2"]["record"]["title"] == "Mới 2, sửa" and rows["new2"]["version"] == 2
    assert rows["new2"]["field_versions"]["title"] == 2
    assert rows["new5"]["recorded_at_suspect"] is True
    # Created submitted, on both paths: stamped, without the implausible phone clock.
    assert rows["new5"]["submitted"] and rows["new5"]["submitted_typed_at"] is None
    assert not rows["new1"]["submitted"]
    assert rows["new1"]["search_fold"] == "moi 1 cao bang na ma"
    # Only new5 is counted (the others are drafts): its contribution, plus only.
    b1 = world.ids["b1"]
    [(key, figures)] = fast_run["deltas"].items()
    assert key[:2] == (b1, date.fromisoformat(_day(5)))
    assert figures == (1, 0, 12, 80, Decimal("7.5"), {"work_days": Decimal(4)})

    # The totals the deltas lead to are the totals built from nothing.
    with world.app.app_context():
        refresh(db.session())
        db.session.commit()
        marked = _totals()
        rebuild_all(db.session())
        db.session.commit()
        assert _totals() == marked


def test_a_collection_without_its_own_insert_goes_through_the_orm(world):
    """``Collection.insert_new``'s default adds the records to the session, so the
    model's hooks render them and record their report deltas as for any ORM write."""
    from server.activities import registry
    from sync.collection import Collection

    class OrmOnly(ActivityCollection):
        insert_new = Collection.insert_new

    original = registry.ActivityCollection
    registry.ActivityCollection = OrmOnly
    try:
        phone = world.phone("hoa")
        rid = uuid.uuid4()
        record = activity_record(
            world.ids["b1"], title="Qua ORM", starts_on=_day(9), status="submitted"
        )
        out = phone.push(phone.mutation("upsert", rid, record))
    finally:
        registry.ActivityCollection = original
    assert out["results"][0]["status"] == "applied"
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert json.loads(a.wire) == ActivityCollection().to_wire(a)
        assert a.search_fold == "qua orm ubnd xa truong ha"
        day9 = date.fromisoformat(_day(9))
        assert [k[:2] for k in _deltas()] == [(world.ids["b1"], day9)]
