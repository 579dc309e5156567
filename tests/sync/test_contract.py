"""Points of the push and pull contract settled after an outside client (issue 11): when a
push answer carries ``record``, server-owned fields in ``changed``, a ``base_version``
the server never reached, ``limit: null``, the mutation log's retention, staff writes."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from server.extensions import db
from server.models import Activity
from server.models.types import utcnow
from sync.tables import sync_conflicts, sync_mutations
from tests.world import activity_record

TITLE = "Ngày thứ bảy tình nguyện"


def test_a_create_stored_otherwise_than_sent_is_answered_with_the_stored_record(world):
    phone = world.phone("hoa")
    b1 = world.ids["b1"]
    sent = {
        "nfd": activity_record(b1, title=unicodedata.normalize("NFD", TITLE)),
        "padded": activity_record(b1, place="  Nhà văn hoá  "),
        "hours": activity_record(b1, volunteer_hours="7"),
        "short": {k: v for k, v in activity_record(b1).items() if k != "description"},
        "as_stored": activity_record(b1),
    }
    ids = {name: uuid.uuid4() for name in sent}
    out = phone.push(*(phone.mutation("upsert", ids[k], r) for k, r in sent.items()))
    answers = dict(zip(sent, out["results"], strict=True))
    assert all(a["status"] == "applied" for a in answers.values())
    assert answers["nfd"]["record"]["title"] == unicodedata.normalize("NFC", TITLE)
    assert answers["padded"]["record"]["place"] == "Nhà văn hoá"
    assert answers["hours"]["record"]["volunteer_hours"] == "7.0"
    assert answers["short"]["record"]["description"] == ""  # left out: the server's default
    # Sent exactly as stored (recorded_at the same instant, written in +07:00): no record.
    assert "record" not in answers["as_stored"]
    # The answer's record is what a pull gives.
    phone.sync_down()
    for name in ("nfd", "padded", "hours", "short"):
        assert answers[name]["record"] == phone.store[str(ids[name])]


def test_an_edit_applied_but_normalised_is_answered_with_the_stored_record(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    phone.push(phone.mutation("upsert", rid, activity_record(world.ids["b1"])))
    edited = activity_record(world.ids["b1"], title=f"  {TITLE}  ")
    answer = phone.push(phone.mutation("upsert", rid, edited, base_version=1, changed=["title"]))
    result = answer["results"][0]
    assert (result["status"], result["version"]) == ("applied", 2)
    assert result["record"]["title"] == TITLE
    # The same instant in another spelling is not a difference.
    same = activity_record(world.ids["b1"], title=TITLE, recorded_at="2026-11-21T02:30:00Z")
    again = phone.push(phone.mutation("upsert", rid, same, base_version=2, changed=["place"]))
    assert again["results"][0]["status"] == "applied" and "record" not in again["results"][0]
    # Another instant is: the server keeps the phone's clock of the create.
    moved = activity_record(world.ids["b1"], title=TITLE, recorded_at="2026-11-22T09:30:00+07:00")
    third = phone.push(phone.mutation("upsert", rid, moved, base_version=2, changed=["place"]))
    assert third["results"][0]["record"]["recorded_at"] == "2026-11-21T02:30:00+00:00"


def test_server_owned_fields_named_in_changed_are_ignored_and_the_edit_applies(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    phone.push(phone.mutation("upsert", rid, activity_record(world.ids["b1"])))
    phone.sync_down()
    record = {
        **phone.store[str(rid)],
        "title": "Tiêu đề mới",
        "recorded_at": "2020-01-01T00:00:00Z",
    }
    changed = ["title", "recorded_at", "review_comment", "recorded_at_suspect", "updated_at"]
    result = phone.push(phone.mutation("upsert", rid, record, base_version=1, changed=changed))
    answer = result["results"][0]
    assert (answer["status"], answer["version"]) == ("applied", 2)
    assert answer["record"]["recorded_at"] == "2026-11-21T02:30:00+00:00"  # kept, not taken
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert a.title == "Tiêu đề mới" and a.recorded_at.year == 2026
    # A name that is no field at all is still refused.
    bad = phone.push(phone.mutation("upsert", rid, record, base_version=2, changed=["colour"]))
    assert bad["results"][0]["errors"] == {"colour": [bad["results"][0]["errors"]["colour"][0]]}
    assert bad["results"][0]["errors"]["colour"][0]["code"] == "unknown_field"


def test_a_base_version_the_server_never_reached_counts_as_seeing_nothing(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    rid = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", rid, activity_record(world.ids["b1"])))
    lan.push(
        lan.mutation(
            "upsert", rid, activity_record(world.ids["b1"], place="Nhà văn hoá"), base_version=1
        )
    )
    # Hoa claims version 50 (e.g. the server was restored from an older copy).
    mine = activity_record(world.ids["b1"], place="UBND xã", title="Tiêu đề của Hoa")
    out = hoa.push(hoa.mutation("upsert", rid, mine, base_version=50, changed=["place", "title"]))
    answer = out["results"][0]
    # Lan's place stands and Hoa's is kept as a conflict; Hoa's title, a field nobody else
    # changed since her own create, applies.
    assert answer["status"] == "conflict"
    assert [(c["field"], c["server_value"], c["client_value"]) for c in answer["conflicts"]] == [
        ("place", "Nhà văn hoá", "UBND xã")
    ]
    assert answer["record"]["place"] == "Nhà văn hoá"
    assert answer["record"]["title"] == "Tiêu đề của Hoa"
    # A delete with such a base does not delete what others changed.
    gone = hoa.push(hoa.mutation("delete", rid, base_version=99))["results"][0]
    assert gone["status"] == "conflict" and gone["deleted"] is False
    with world.app.app_context():
        kinds = db.session.scalars(
            select(sync_conflicts.c.kind).where(sync_conflicts.c.record_id == rid)
        ).all()
        assert sorted(kinds) == ["delete_edited", "field"]


def test_limit_null_is_the_default_page(world):
    phone = world.phone("hoa")
    phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    page = phone.pull(cursor=None, limit=None)
    assert len(page["changes"]) == 1 and page["has_more"] is False


def _age_log(app, days: int) -> None:
    with app.app_context():
        db.session.execute(
            update(sync_mutations).values(received_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def test_pruned_answers_are_already_applied_and_reused_numbers_still_refused(world):
    phone = world.phone("hoa")
    rid, refused_id = uuid.uuid4(), uuid.uuid4()
    create = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
    bad = phone.mutation("upsert", refused_id, activity_record(world.ids["b1"], title=""))
    first = phone.push(create, bad)
    assert [r["status"] for r in first["results"]] == ["applied", "rejected"]
    runner = world.app.test_cli_runner()
    _age_log(world.app, 89)
    assert "0" in runner.invoke(args=["prune-sync-log"]).output
    assert phone.push(create, bad) == first  # within the retention: the original answers
    _age_log(world.app, 91)
    result = runner.invoke(args=["prune-sync-log"])
    assert result.exit_code == 0 and "1 " in result.output, result.output
    again = phone.push(create, bad)
    assert again["results"][0] == {"n": 1, "status": "already_applied"}
    assert again["results"][1] == first["results"][1]  # refused: kept whole, for staff
    with world.app.app_context():
        kept = db.session.execute(
            select(sync_mutations.c.payload).where(sync_mutations.c.n == 2)
        ).scalar_one()
        assert kept["id"] == str(refused_id)
    # A number reused with another payload is still refused, not dropped as applied.
    reused = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]), n=1)
    resp = phone.post(
        "/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": [reused]}
    )
    assert resp.status_code == 409 and resp.get_json()["code"] == "mutation_mismatch"


def test_daily_maintenance_purges_tombstones_and_prunes_the_log(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    create = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
    phone.push(create)
    _age_log(world.app, 400)
    result = world.app.test_cli_runner().invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    assert "retired 0 deletions" in result.output and "answers of 1 applied" in result.output
    assert phone.push(create)["results"] == [{"n": 1, "status": "already_applied"}]


def test_staff_write_nothing_through_the_api(world):
    hoa = world.phone("hoa")
    rid = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", rid, activity_record(world.ids["b1"])))
    for who in ("canbo", "tinh"):
        staff = world.phone(who)
        staff.sync_down()
        assert str(rid) in staff.store  # they see it
        edit = {**staff.store[str(rid)], "title": "Sửa bởi cán bộ"}
        out = staff.push(
            staff.mutation("upsert", rid, edit, base_version=1, changed=["title"]),
            staff.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b2"])),
        )
        delete = staff.push(staff.mutation("delete", rid, base_version=1))
        results = [*out["results"], *delete["results"]]
        assert [r["status"] for r in results] == ["rejected"] * 3
        assert {r["reason"]["code"] for r in results} == {"forbidden"}
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert (a.version, a.deleted_at, a.title) == (1, None, activity_record(1)["title"])
