"""Exactly-once push: replays, gaps, mismatches, rejections, scope, limits."""

from __future__ import annotations

import gzip
import json
import uuid

from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity, ActivityStatus, Device
from server.models.types import utcnow
from sync.tables import sync_conflicts, sync_mutations
from tests.world import HEADERS, activity_record


def count_activities(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Activity))


def test_a_create_is_applied_once_and_numbered(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    out = phone.push(phone.mutation("upsert", rid, activity_record(world.ids["b1"])))
    assert out["last_applied"] == 1
    assert out["results"] == [
        {"n": 1, "id": str(rid), "status": "applied", "version": 1, "deleted": False}
    ]
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert a.title == "Ngày thứ bảy tình nguyện tại UBND xã Trường Hà"
        assert a.change_seq > 0 and a.version == 1
        assert a.created_by_id is not None and a.recorded_at.isoformat().startswith("2026-11-21")


def test_a_retry_after_a_lost_response_gets_the_same_answers(world):
    phone = world.phone("hoa")
    batch = [
        phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])) for _ in range(3)
    ]
    first = phone.push(*batch)
    again = phone.push(*batch)
    assert again == first
    assert count_activities(world.app) == 3
    # An overlapping batch: the old ones answered from the log, the new one applied.
    extra = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    out = phone.push(batch[2], extra)
    assert out["results"][0] == first["results"][2]
    assert out["results"][1]["status"] == "applied" and out["last_applied"] == 4
    assert count_activities(world.app) == 4


def test_a_gap_is_refused_with_the_expected_number(world):
    phone = world.phone("hoa")
    phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    skipped = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]), n=3)
    resp = phone.post(
        "/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": [skipped]}
    )
    assert resp.status_code == 409
    body = resp.get_json()
    assert (body["code"], body["expected"]) == ("mutation_gap", 2)
    assert body["message"] and body["message_en"] == "expected mutation 2"
    assert count_activities(world.app) == 1


def test_numbers_inside_a_batch_must_be_consecutive(world):
    phone = world.phone("hoa")
    a = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]), n=1)
    b = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]), n=3)
    resp = phone.post("/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": [a, b]})
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_batch"
    assert count_activities(world.app) == 0


def test_the_same_number_with_another_payload_changes_nothing(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    m = phone.mutation("upsert", rid, activity_record(world.ids["b1"]))
    phone.push(m)
    forged = {**m, "record": activity_record(world.ids["b1"], title="Nội dung khác")}
    resp = phone.post(
        "/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": [forged]}
    )
    assert resp.status_code == 409 and resp.get_json()["code"] == "mutation_mismatch"
    assert (resp.get_json()["n"], resp.get_json()["expected"]) == (1, 2)
    with world.app.app_context():
        assert db.session.get(Activity, rid).title.startswith("Ngày thứ bảy")


def test_a_device_id_of_another_user_is_refused(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    m = hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    resp = hoa.post("/api/v1/sync/push", {"device_id": str(minh.device_id), "mutations": [m]})
    assert resp.status_code == 403 and resp.get_json()["code"] == "device_mismatch"
    resp = world.app.test_client().post(
        "/api/v1/devices",
        headers=HEADERS,
        json={
            "username": "hoa",
            "password": "mat-khau-thu-nghiem",
            "device_id": str(minh.device_id),
        },
    )
    assert resp.status_code == 403 and resp.get_json()["code"] == "device_taken"
    assert count_activities(world.app) == 0


def test_a_rejected_mutation_is_quarantined_and_does_not_block_others(world):
    phone = world.phone("hoa")
    bad_id, good_id = uuid.uuid4(), uuid.uuid4()
    bad = phone.mutation(
        "upsert", bad_id, activity_record(world.ids["b1"], members_count=-3, ends_on="2026-11-20")
    )
    follow_up = phone.mutation(
        "upsert", bad_id, activity_record(world.ids["b1"]), changed=["title"]
    )
    good = phone.mutation("upsert", good_id, activity_record(world.ids["b1"]))
    out = phone.push(bad, follow_up, good)
    r_bad, r_follow, r_good = out["results"]
    assert r_bad["status"] == "rejected" and r_bad["reason"]["code"] == "validation_failed"
    assert r_bad["errors"]["members_count"][0]["code"] == "too_small"
    assert r_bad["errors"]["ends_on"][0]["message"].startswith("Ngày kết thúc")
    assert r_follow["status"] == "rejected"
    assert r_follow["reason"] == {
        **r_follow["reason"],
        "code": "blocked_by_rejected",
        "params": {"n": 1},
    }
    assert r_good["status"] == "applied" and out["last_applied"] == 3
    with world.app.app_context():
        kept = db.session.execute(
            select(sync_mutations.c.payload).where(sync_mutations.c.n == 1)
        ).scalar_one()
        assert kept["record"]["members_count"] == -3
        assert db.session.get(Activity, bad_id) is None
    # Fixed on the phone and sent again as a new mutation: accepted.
    fixed = phone.mutation("upsert", bad_id, activity_record(world.ids["b1"]))
    assert phone.push(fixed)["results"][0]["status"] == "applied"


def test_writes_outside_the_users_branch_are_refused_without_leaking(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    theirs = uuid.uuid4()
    minh.push(minh.mutation("upsert", theirs, activity_record(world.ids["b2"])))
    forged_unit = hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b2"]))
    overwrite = hoa.mutation("upsert", theirs, activity_record(world.ids["b1"]))
    delete = hoa.mutation("delete", theirs, base_version=1)
    # One at a time: in one batch the second would be blocked by the first.
    results = [hoa.push(m)["results"][0] for m in (forged_unit, overwrite)]
    assert [r["status"] for r in results] == ["rejected"] * 2
    assert {r["reason"]["code"] for r in results} == {"forbidden"}
    assert all("version" not in r and "errors" not in r for r in results)
    # A delete of a record the user cannot see answers as for an id nobody has.
    gone = hoa.push(delete)["results"][0]
    assert (gone["status"], gone["version"], gone["deleted"]) == ("applied", None, True)
    staff = world.phone("canbo")
    r = staff.push(staff.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    assert r["results"][0]["reason"]["code"] == "forbidden"
    with world.app.app_context():
        assert db.session.get(Activity, theirs).unit_id == world.ids["b2"]


def _set_status(app, rid, status):
    with app.app_context():
        a = db.session.get(Activity, rid)
        a.status = status
        a.review_comment = "Đề nghị bổ sung số hồ sơ" if status == "returned" else None
        db.session.commit()


def test_verified_is_locked_returned_can_be_fixed_and_resubmitted(world):
    phone = world.phone("hoa")
    rid = uuid.uuid4()
    phone.push(phone.mutation("upsert", rid, activity_record(world.ids["b1"])))
    _set_status(world.app, rid, ActivityStatus.VERIFIED)
    out = phone.push(
        phone.mutation(
            "upsert",
            rid,
            activity_record(world.ids["b1"], title="Sửa sau khi xác nhận"),
            base_version=1,
            changed=["title"],
        )
    )
    assert out["results"][0]["reason"]["code"] == "record_verified"
    assert "xác nhận" in out["results"][0]["reason"]["message"]
    out = phone.push(phone.mutation("delete", rid, base_version=1))
    assert out["results"][0]["reason"]["code"] == "record_verified"

    _set_status(world.app, rid, ActivityStatus.RETURNED)
    out = phone.push(
        phone.mutation(
            "upsert",
            rid,
            activity_record(world.ids["b1"], quantities={"dossiers_land": 9}, status="submitted"),
            base_version=1,
            changed=["quantities", "status"],
        )
    )
    assert out["results"][0]["status"] == "applied"
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert (a.status, a.quantities) == ("submitted", {"dossiers_land": 9})


def test_a_phone_cannot_verify_or_return(world):
    phone = world.phone("hoa")
    out = phone.push(
        phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"], status="verified"))
    )
    assert out["results"][0]["reason"]["code"] == "status_not_allowed"


def test_phone_clocks_are_information_only(world):
    phone = world.phone("hoa")
    ids = [uuid.uuid4() for _ in range(3)]
    stamps = ["2099-01-01T00:00:00+00:00", "2001-01-01T00:00:00+00:00", "2026-11-21T09:30:00+07:00"]
    phone.push(
        *[
            phone.mutation("upsert", i, activity_record(world.ids["b1"], recorded_at=s))
            for i, s in zip(ids, stamps, strict=True)
        ]
    )
    with world.app.app_context():
        rows = [db.session.get(Activity, i) for i in ids]
        assert [r.recorded_at_suspect for r in rows] == [True, True, False]
        assert rows[0].recorded_at.year == 2099
        # Server order follows arrival, whatever the phone's clock said.
        assert rows[0].change_seq < rows[1].change_seq < rows[2].change_seq
    page = world.phone("lan").pull(cursor=None)
    assert [c["id"] for c in page["changes"]] == [str(i) for i in ids]


def test_every_request_names_a_supported_protocol_version(world):
    phone = world.phone("hoa")
    for headers in ({"Sodoan-Protocol": "99"}, {"Sodoan-Protocol": ""}):
        resp = phone.post("/api/v1/sync/pull", {"device_id": str(phone.device_id)}, headers=headers)
        assert resp.status_code == 426
        assert resp.get_json()["code"] == "upgrade_required"
        assert resp.get_json()["supported"] == [1]


def test_batch_and_body_limits_answer_413_with_the_limit(world):
    phone = world.phone("hoa")
    many = [
        phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])) for _ in range(201)
    ]
    resp = phone.post("/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": many})
    assert resp.status_code == 413
    assert resp.get_json() | {"limit": 200} == resp.get_json()
    assert resp.get_json()["code"] == "batch_too_large"
    huge = {"device_id": str(phone.device_id), "pad": "x" * (1024 * 1024 + 10)}
    resp = phone.post("/api/v1/sync/push", huge)
    assert resp.status_code == 413 and resp.get_json()["limit_bytes"] == 1024 * 1024
    bomb = gzip.compress(b'{"pad": "' + b"0" * (9 * 1024 * 1024) + b'"}')
    resp = phone.client.post(
        "/api/v1/sync/push",
        data=bomb,
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}", "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 413 and resp.get_json()["code"] == "body_too_large"
    resp = phone.client.post(
        "/api/v1/sync/push",
        data=b"not gzip",
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}", "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_gzip"
    assert count_activities(world.app) == 0


def test_gzip_bodies_are_accepted_and_responses_compressed(world):
    phone = world.phone("hoa")
    batch = [
        phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])) for _ in range(50)
    ]
    resp = phone.post(
        "/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": batch}, gzip_body=True
    )
    assert resp.status_code == 200 and resp.get_json()["last_applied"] == 50
    resp = phone.client.post(
        "/api/v1/sync/pull",
        headers={**HEADERS, "Authorization": f"Bearer {phone.token}", "Accept-Encoding": "gzip"},
        json={"device_id": str(phone.device_id), "cursor": None},
    )
    assert resp.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(resp.data))["changes"]) == 50


def test_tokens_bad_revoked_and_renewed(world):
    phone = world.phone("hoa")
    body = {"device_id": str(phone.device_id), "cursor": None}
    bad = phone.client.post(
        "/api/v1/sync/pull", json=body, headers={**HEADERS, "Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401 and bad.get_json()["code"] == "invalid_token"
    phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    with world.app.app_context():
        db.session.get(Device, phone.device_id).revoked_at = utcnow()
        db.session.commit()
    waiting = phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"]))
    resp = phone.post(
        "/api/v1/sync/push", {"device_id": str(phone.device_id), "mutations": [waiting]}
    )
    assert resp.status_code == 401 and resp.get_json()["code"] == "device_revoked"
    again = world.phone("hoa", device_id=phone.device_id)
    out = again.push(waiting)
    assert out["results"][0]["status"] == "applied" and out["last_applied"] == 2
    assert count_activities(world.app) == 2


def _refuse_title(app, title: str) -> None:
    """Make the database itself refuse one row, as a real constraint would."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                db.text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON activities WHEN NEW.title = '{title}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            db.session.execute(
                db.text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused' "
                    "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            db.session.execute(
                db.text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON activities "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        db.session.commit()


def test_a_row_the_database_refuses_rejects_only_its_own_mutation(world):
    _refuse_title(world.app, "Bị từ chối")
    phone = world.phone("hoa")
    ids = [uuid.uuid4() for _ in range(3)]
    titles = ["Trước", "Bị từ chối", "Sau"]
    out = phone.push(
        *[
            phone.mutation("upsert", i, activity_record(world.ids["b1"], title=t))
            for i, t in zip(ids, titles, strict=True)
        ]
    )
    assert [r["status"] for r in out["results"]] == ["applied", "rejected", "applied"]
    assert out["results"][1]["reason"]["code"] == "storage_refused"
    assert out["last_applied"] == 3
    with world.app.app_context():
        assert [db.session.get(Activity, i) is not None for i in ids] == [True, False, True]
        kept = db.session.execute(
            select(sync_mutations.c.payload).where(sync_mutations.c.n == 2)
        ).scalar_one()
        assert kept["record"]["title"] == "Bị từ chối"


def test_an_edit_of_another_branchs_deleted_record_is_refused_before_anything_else(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    theirs = uuid.uuid4()
    minh.push(minh.mutation("upsert", theirs, activity_record(world.ids["b2"])))
    minh.push(minh.mutation("delete", theirs, base_version=1))
    out = hoa.push(
        hoa.mutation("upsert", theirs, activity_record(world.ids["b1"]), base_version=1)
    )["results"][0]
    # The same answer as for a live record of theirs: no version, no "deleted", no conflict.
    assert out == {
        "n": 1,
        "id": str(theirs),
        "status": "rejected",
        "reason": out["reason"],
    }
    assert out["reason"]["code"] == "forbidden"
    with world.app.app_context():
        planted = db.session.scalar(
            select(func.count())
            .select_from(sync_conflicts)
            .where(sync_conflicts.c.record_id == theirs)
        )
        assert planted == 0
    staff = world.phone("canbo")
    conflicts = staff.client.get(
        "/api/v1/conflicts",
        headers={"Sodoan-Protocol": "1", "Authorization": f"Bearer {staff.token}"},
    ).get_json()["conflicts"]
    assert conflicts == []


def test_a_delete_answers_alike_whether_a_record_exists_elsewhere_or_not(world):
    hoa, minh = world.phone("hoa"), world.phone("minh")
    live, gone = uuid.uuid4(), uuid.uuid4()
    minh.push(
        minh.mutation("upsert", live, activity_record(world.ids["b2"])),
        minh.mutation("upsert", gone, activity_record(world.ids["b2"])),
        minh.mutation("delete", gone, base_version=1),
    )

    def answer(rid, base):
        out = hoa.push(hoa.mutation("delete", rid, base_version=base))["results"][0]
        return {k: v for k, v in out.items() if k not in ("n", "id")}

    for base in (None, 1, 7):
        answers = [answer(rid, base) for rid in (uuid.uuid4(), live, gone)]
        assert answers[0] == answers[1] == answers[2], answers
    assert answers[0] == {"status": "applied", "version": None, "deleted": True}
    with world.app.app_context():
        assert db.session.get(Activity, live).deleted_at is None


def test_a_pulled_record_pushed_back_unchanged_is_applied(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    rid = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", rid, activity_record(world.ids["b1"], status="submitted")))
    _set_status(world.app, rid, ActivityStatus.RETURNED)
    lan.sync_down()
    pulled = lan.store[str(rid)]
    assert {"review_comment", "recorded_at_suspect", "created_at", "updated_at"} <= set(pulled)
    out = lan.push(lan.mutation("upsert", rid, pulled, base_version=1))["results"][0]
    assert out["status"] == "applied", out
    # The server's own fields are ignored, not taken from the phone.
    forged = {**pulled, "review_comment": "Đã duyệt", "created_at": "2000-01-01T00:00:00Z"}
    forged["place"] = "Nhà văn hoá"
    out = lan.push(lan.mutation("upsert", rid, forged, base_version=1, changed=["place"]))
    assert out["results"][0]["status"] == "applied"
    with world.app.app_context():
        a = db.session.get(Activity, rid)
        assert (a.place, a.review_comment) == ("Nhà văn hoá", "Đề nghị bổ sung số hồ sơ")
        assert a.created_at.year > 2000
