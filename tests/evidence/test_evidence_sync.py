"""The ``evidence`` collection over push and pull (PROTOCOL §9): scope, immutable and
server-owned fields, the quota, and the cascade when an activity is deleted."""

from __future__ import annotations

import uuid

from server.extensions import db
from server.models import Unit
from tests import factories as f
from tests.evidence.photos import ev_mutation, jpeg, record
from tests.world import activity_record

PHOTO = jpeg(120, 80)


def _activity_and_photo(phone, unit_id, data=PHOTO, **changes):
    activity_id, evidence_id = uuid.uuid4(), uuid.uuid4()
    answer = phone.push(
        phone.mutation("upsert", activity_id, activity_record(unit_id)),
        ev_mutation(phone, "upsert", evidence_id, record(activity_id, data, **changes)),
    )
    return activity_id, evidence_id, answer["results"]


def test_a_photo_record_made_with_its_activity_reaches_the_branch(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    _aid, eid, results = _activity_and_photo(hoa, world.ids["b1"])
    assert [r["status"] for r in results] == ["applied", "applied"]
    lan.sync_down()
    got = lan.store[str(eid)]
    assert got["sha256"] == record(_aid, PHOTO)["sha256"] and got["size"] == len(PHOTO)
    assert got["caption"] == "Các đoàn viên dọn vệ sinh"
    assert got["stored"] is False and got["stored_size"] is None
    assert got["captured_at"] == "2026-11-21T02:31:00+00:00"
    # The commune's staff read their subtree; another branch does not see it.
    canbo, minh = world.phone("canbo"), world.phone("minh")
    canbo.sync_down()
    minh.sync_down()
    assert str(eid) in canbo.store and str(eid) not in minh.store


def test_only_the_caption_may_change(world):
    hoa = world.phone("hoa")
    aid, eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    changed = record(aid, PHOTO, sha256="0" * 64, size=99)
    answer = hoa.push(ev_mutation(hoa, "upsert", eid, changed, base_version=1))
    result = answer["results"][0]
    assert result["status"] == "rejected" and result["reason"]["code"] == "validation_failed"
    assert {k: [e["code"] for e in v] for k, v in result["errors"].items()} == {
        "sha256": ["immutable"],
        "size": ["immutable"],
    }
    # Server-owned fields sent back are ignored; the caption is taken.
    again = {**record(aid, PHOTO, caption="Mới"), "stored": True, "stored_size": 1}
    result = hoa.push(ev_mutation(hoa, "upsert", eid, again, base_version=1))["results"][0]
    assert result["status"] == "applied" and result["version"] == 2
    hoa.sync_down()
    assert hoa.store[str(eid)]["stored"] is False and hoa.store[str(eid)]["caption"] == "Mới"


def test_a_record_is_refused_with_a_field_error_when_it_is_malformed(world):
    hoa = world.phone("hoa")
    bad = record(uuid.uuid4(), PHOTO, sha256="ABC", size=6 * 1024 * 1024, content_type="image/gif")
    result = hoa.push(ev_mutation(hoa, "upsert", uuid.uuid4(), bad))["results"][0]
    assert result["reason"]["code"] == "validation_failed"
    codes = {k: v[0]["code"] for k, v in result["errors"].items()}
    expected = {"sha256": "not_lowercase_hex", "size": "too_large", "content_type": "not_one_of"}
    assert codes == expected


def test_a_photo_of_another_branchs_activity_is_refused_without_saying_it_exists(world):
    minh, hoa = world.phone("minh"), world.phone("hoa")
    aid = uuid.uuid4()
    minh.push(minh.mutation("upsert", aid, activity_record(world.ids["b2"])))
    for target in (aid, uuid.uuid4()):
        result = hoa.push(ev_mutation(hoa, "upsert", uuid.uuid4(), record(target, PHOTO)))
        assert result["results"][0]["reason"]["code"] == "activity_unknown"


def test_the_branch_quota_refuses_a_new_photo(world):
    world.app.config["EVIDENCE_QUOTA_BYTES"] = 2 * len(PHOTO) + 10
    hoa = world.phone("hoa")
    aid, _eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    second = hoa.push(ev_mutation(hoa, "upsert", uuid.uuid4(), record(aid, PHOTO)))
    assert second["results"][0]["status"] == "applied"
    third = hoa.push(ev_mutation(hoa, "upsert", uuid.uuid4(), record(aid, PHOTO)))
    reason = third["results"][0]["reason"]
    assert third["results"][0]["status"] == "rejected" and reason["code"] == "quota_exceeded"
    assert "dung lượng" in reason["message"]
    # Another branch has its own quota.
    minh = world.phone("minh")
    _a, _e, results = _activity_and_photo(minh, world.ids["b2"])
    assert results[1]["status"] == "applied"


def test_deleting_an_activity_tombstones_its_photos_for_every_device(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    aid, eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    lan.sync_down()
    assert str(eid) in lan.store
    result = hoa.push(hoa.mutation("delete", aid, base_version=1))["results"][0]
    assert result["status"] == "applied" and result["deleted"] is True
    changes = lan.pull()["changes"]
    assert {(c["collection"], c["id"], c["deleted"]) for c in changes} == {
        ("activities", str(aid), True),
        ("evidence", str(eid), True),
    }
    # A photo of it sent afterwards is refused: the activity is gone.
    late = hoa.push(ev_mutation(hoa, "upsert", uuid.uuid4(), record(aid, PHOTO)))
    assert late["results"][0]["reason"]["code"] == "activity_unknown"


def test_a_photo_made_and_its_activity_deleted_in_one_batch_is_a_tombstone(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    lan.sync_down()
    aid, eid = uuid.uuid4(), uuid.uuid4()
    answer = hoa.push(
        hoa.mutation("upsert", aid, activity_record(world.ids["b1"])),
        ev_mutation(hoa, "upsert", eid, record(aid, PHOTO)),
        hoa.mutation("delete", aid, base_version=1),
    )
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    changes = {c["id"]: c["deleted"] for c in lan.pull()["changes"]}
    assert changes == {str(aid): True, str(eid): True}


def test_deleting_a_photo_is_a_tombstone_and_staff_of_another_commune_never_see_it(world):
    with world.app.app_context():
        f.user("xa", db.session.get(Unit, world.ids["other"]), role="unit_staff")
        db.session.commit()
    hoa, xa = world.phone("hoa"), world.phone("xa")
    _aid, eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    xa.sync_down()
    assert str(eid) not in xa.store
    result = hoa.push(ev_mutation(hoa, "delete", eid, base_version=1))["results"][0]
    assert result["status"] == "applied" and result["deleted"] is True
    # Deleting it from another commune answers as for an id nobody has.
    result = xa.push(ev_mutation(xa, "delete", eid, base_version=2))["results"][0]
    assert result["version"] is None


def test_an_activity_deleted_by_resolving_a_conflict_takes_its_photos(world):

    hoa, lan = world.phone("hoa"), world.phone("lan")
    aid, eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    lan.sync_down()
    # Lan edits the activity; Hoa, not having seen that, deletes it: a kept conflict.
    lan.push(
        lan.mutation(
            "upsert",
            aid,
            activity_record(world.ids["b1"], title="Sửa"),
            base_version=1,
            changed=["title"],
        )
    )
    answer = hoa.push(hoa.mutation("delete", aid, base_version=1))["results"][0]
    assert answer["status"] == "conflict"
    conflict = hoa.client.get(
        f"/api/v1/conflicts?record_id={aid}",
        headers={"Sodoan-Protocol": "1", "Authorization": f"Bearer {hoa.token}"},
    ).get_json()["conflicts"][0]
    resolved = hoa.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "client"})
    assert resolved.status_code == 200 and resolved.get_json()["deleted"] is True
    changes = {(c["collection"], c["deleted"]) for c in lan.pull()["changes"]}
    assert ("evidence", True) in changes and ("activities", True) in changes


def test_a_caption_edited_on_two_phones_is_a_conflict_the_branch_can_see_and_resolve(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    aid, eid, _ = _activity_and_photo(hoa, world.ids["b1"])
    lan.sync_down()
    for phone, caption in ((hoa, "Của Hoa"), (lan, "Của Lan")):
        rec = record(aid, PHOTO, caption=caption)
        answer = phone.push(
            ev_mutation(phone, "upsert", eid, rec, base_version=1, changed=["caption"])
        )
    assert answer["results"][0]["status"] == "conflict"
    listed = lan.client.get(
        f"/api/v1/conflicts?record_id={eid}",
        headers={"Sodoan-Protocol": "1", "Authorization": f"Bearer {lan.token}"},
    ).get_json()["conflicts"]
    assert [(c["collection"], c["field"], c["client_value"]) for c in listed] == [
        ("evidence", "caption", "Của Lan")
    ]
    resolved = lan.post(f"/api/v1/conflicts/{listed[0]['id']}/resolve", {"choice": "client"})
    assert resolved.status_code == 200, resolved.get_json()
    hoa.sync_down()
    assert hoa.store[str(eid)]["caption"] == "Của Lan"
