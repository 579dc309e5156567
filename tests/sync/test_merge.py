"""Field-level merge, conflicts kept and resolved, edits and deletes that cross."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, update

from server.extensions import db
from server.models import Activity
from server.models.types import utcnow
from sync.tables import sync_conflicts
from tests.world import activity_record, signed_in


def setup_shared(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    rid = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", rid, activity_record(world.ids["b1"])))
    return hoa, lan, rid


def record(app, rid) -> Activity:
    with app.app_context():
        a = db.session.get(Activity, rid)
        db.session.expunge(a)
        return a


def test_edits_of_different_fields_both_apply(world):
    hoa, lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    r1 = hoa.push(
        hoa.mutation(
            "upsert", rid, {**base, "title": "Tiêu đề mới"}, base_version=1, changed=["title"]
        )
    )["results"][0]
    r2 = lan.push(
        lan.mutation(
            "upsert", rid, {**base, "members_count": 20}, base_version=1, changed=["members_count"]
        )
    )["results"][0]
    assert (r1["status"], r1["version"]) == ("applied", 2)
    assert (r2["status"], r2["version"]) == ("merged", 3)
    a = record(world.app, rid)
    assert (a.title, a.members_count) == ("Tiêu đề mới", 20)


def test_same_field_first_to_arrive_wins_and_the_other_is_kept(world):
    hoa, lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    hoa.push(
        hoa.mutation(
            "upsert", rid, {**base, "place": "Nhà văn hoá xóm"}, base_version=1, changed=["place"]
        )
    )
    out = lan.push(
        lan.mutation(
            "upsert",
            rid,
            {**base, "place": "Trường tiểu học", "members_count": 15},
            base_version=1,
            changed=["place", "members_count"],
        )
    )
    result = out["results"][0]
    assert result["status"] == "conflict" and result["version"] == 3
    (conflict,) = result["conflicts"]
    assert (
        conflict
        | {
            "kind": "field",
            "field": "place",
            "server_value": "Nhà văn hoá xóm",
            "client_value": "Trường tiểu học",
        }
        == conflict
    )
    a = record(world.app, rid)
    assert (a.place, a.members_count) == ("Nhà văn hoá xóm", 15)

    # Visible to the author and to the reviewer above, not to another branch.
    lan_list = lan.client.get("/api/v1/conflicts", headers=_h(lan)).get_json()["conflicts"]
    staff = world.phone("canbo")
    staff_list = staff.client.get("/api/v1/conflicts", headers=_h(staff)).get_json()
    other = world.phone("minh")
    other_list = other.client.get("/api/v1/conflicts", headers=_h(other)).get_json()
    assert [c["id"] for c in lan_list] == [conflict["id"]]
    assert [c["id"] for c in staff_list["conflicts"]] == [conflict["id"]]
    assert other_list["conflicts"] == []
    # Whose losing value it is: Lan's own; to Hoa (whose value won) and the staff, Lan's.
    (listed,) = lan_list
    assert listed["mine"] is True and listed["by"]["full_name"] == "Hoàng Thị Lan"
    assert listed["created_at"].endswith("+00:00")
    (for_hoa,) = hoa.client.get("/api/v1/conflicts", headers=_h(hoa)).get_json()["conflicts"]
    assert for_hoa["mine"] is False and for_hoa["by"] == listed["by"]
    assert staff_list["conflicts"][0]["mine"] is False

    # Another branch cannot resolve it; the author picks their own value.
    resp = other.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "client"})
    assert resp.status_code == 404
    resp = lan.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "client"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["version"] == 4
    assert record(world.app, rid).place == "Trường tiểu học"
    again = lan.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "server"})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict_resolved"
    assert lan.client.get("/api/v1/conflicts", headers=_h(lan)).get_json()["conflicts"] == []
    # And the resolution reaches the other phone like any change.
    hoa.sync_down()
    assert hoa.store[str(rid)]["place"] == "Trường tiểu học"


def _h(phone):
    return {"Sodoan-Protocol": "1", "Authorization": f"Bearer {phone.token}"}


def test_a_devices_own_successive_edits_never_conflict(world):
    hoa, _lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    out = hoa.push(
        hoa.mutation("upsert", rid, {**base, "title": "Lần 1"}, base_version=1, changed=["title"]),
        hoa.mutation("upsert", rid, {**base, "title": "Lần 2"}, base_version=1, changed=["title"]),
        hoa.mutation("delete", rid, base_version=1),
    )
    assert [r["status"] for r in out["results"]] == ["applied", "applied", "applied"]
    a = record(world.app, rid)
    assert a.title == "Lần 2" and a.deleted_at is not None and a.version == 4


def test_an_edit_of_a_deleted_record_is_kept_and_can_restore_it(world):
    hoa, lan, rid = setup_shared(world)
    hoa.push(hoa.mutation("delete", rid, base_version=1))
    edit = {**activity_record(world.ids["b1"]), "citizens_served": 120}
    out = lan.push(lan.mutation("upsert", rid, edit, base_version=1, changed=["citizens_served"]))
    result = out["results"][0]
    assert result["status"] == "conflict" and result["deleted"] is True
    (conflict,) = result["conflicts"]
    assert conflict["kind"] == "edit_deleted"
    assert conflict["client_value"]["citizens_served"] == 120
    assert record(world.app, rid).deleted_at is not None
    resp = lan.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"choice": "client"})
    assert resp.status_code == 200 and resp.get_json()["deleted"] is False
    a = record(world.app, rid)
    assert a.deleted_at is None and a.citizens_served == 120


def test_a_delete_of_a_record_edited_elsewhere_is_kept_not_applied(world):
    hoa, lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    hoa.push(
        hoa.mutation("upsert", rid, {**base, "title": "Đã sửa"}, base_version=1, changed=["title"])
    )
    out = lan.push(lan.mutation("delete", rid, base_version=1))
    result = out["results"][0]
    assert result["status"] == "conflict" and result["deleted"] is False
    assert result["conflicts"][0]["kind"] == "delete_edited"
    assert record(world.app, rid).deleted_at is None
    cid = result["conflicts"][0]["id"]
    resp = lan.post(f"/api/v1/conflicts/{cid}/resolve", {"choice": "client"})
    assert resp.status_code == 200 and resp.get_json()["deleted"] is True
    assert record(world.app, rid).deleted_at is not None


# -- what the device has actually seen ------------------------------------------------------


def _shared_with_hoas_title(world):
    """Hoa creates (v1) and changes the title (v2); Lan's phone still has v1."""
    hoa, lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    out = hoa.push(
        hoa.mutation(
            "upsert", rid, {**base, "title": "Hoa's title"}, base_version=1, changed=["title"]
        )
    )
    assert out["results"][0]["version"] == 2
    return hoa, lan, rid, base


def test_an_own_merge_does_not_count_as_having_seen_the_others_change(world):
    # Lan pushes a place edit (merged over Hoa's title, v3), then a title edit made on v1.
    _hoa, lan, rid, base = _shared_with_hoas_title(world)
    first = lan.push(
        lan.mutation(
            "upsert", rid, {**base, "place": "Lan's place"}, base_version=1, changed=["place"]
        )
    )["results"][0]
    assert (first["status"], first["version"]) == ("merged", 3)
    second = lan.push(
        lan.mutation(
            "upsert",
            rid,
            {**base, "place": "Lan's place", "title": "Lan's title"},
            base_version=1,
            changed=["title"],
        )
    )["results"][0]
    assert second["status"] == "conflict"
    assert [(c["field"], c["server_value"]) for c in second["conflicts"]] == [
        ("title", "Hoa's title")
    ]
    assert record(world.app, rid).title == "Hoa's title"


def test_a_version_answered_while_other_entries_waited_is_not_a_seen_base(world):
    # Lan queued two edits on v1; the first is answered (merged, v3) while the second still
    # waits, so the phone sets the server's copy aside but stores version 3 (§5). A title
    # edit typed then carries base 3 without Lan ever having seen Hoa's title.
    _hoa, lan, rid, base = _shared_with_hoas_title(world)
    m1 = lan.mutation("upsert", rid, {**base, "place": "P"}, base_version=1, changed=["place"])
    m2 = lan.mutation(
        "upsert",
        rid,
        {**base, "place": "P", "members_count": 30},
        base_version=1,
        changed=["members_count"],
    )
    assert lan.push(m1)["results"][0]["version"] == 3
    m3 = lan.mutation(
        "upsert",
        rid,
        {**base, "place": "P", "members_count": 30, "title": "Lan's title"},
        base_version=3,
        changed=["title"],
    )
    r2, r3 = lan.push(m2, m3)["results"]
    assert r2["status"] == "merged"
    assert r3["status"] == "conflict" and r3["conflicts"][0]["field"] == "title"
    assert record(world.app, rid).title == "Hoa's title"


def test_a_copy_taken_from_an_answer_is_a_seen_base(world):
    # Nothing else waited when the merged answer came: the phone took the server's copy,
    # so a later title edit on v3 is an informed change and applies.
    _hoa, lan, rid, base = _shared_with_hoas_title(world)
    first = lan.push(
        lan.mutation("upsert", rid, {**base, "place": "P"}, base_version=1, changed=["place"])
    )["results"][0]
    took = first["record"]
    assert took["title"] == "Hoa's title"
    taken = {k: took[k] for k in base}
    out = lan.push(
        lan.mutation(
            "upsert", rid, {**taken, "title": "Lan's title"}, base_version=3, changed=["title"]
        )
    )["results"][0]
    assert (out["status"], out["version"]) == ("applied", 4)
    assert record(world.app, rid).title == "Lan's title"


def test_a_delete_after_an_own_merge_does_not_delete_unseen_changes(world):
    _hoa, lan, rid, base = _shared_with_hoas_title(world)
    lan.push(lan.mutation("upsert", rid, {**base, "place": "P"}, base_version=1, changed=["place"]))
    out = lan.push(lan.mutation("delete", rid, base_version=1))["results"][0]
    assert out["status"] == "conflict" and out["conflicts"][0]["kind"] == "delete_edited"
    assert record(world.app, rid).deleted_at is None


def test_an_own_merge_does_not_undo_a_reviewers_return(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    rid = uuid.uuid4()
    base = activity_record(world.ids["b1"], status="submitted")
    hoa.push(hoa.mutation("upsert", rid, base))
    staff = signed_in(world.app, "canbo")
    resp = staff.post(f"/review/{rid}/return", data={"return-comment": "Bổ sung số liệu"})
    assert resp.status_code == 302
    assert record(world.app, rid).status == "returned"
    lan.push(lan.mutation("upsert", rid, {**base, "place": "P"}, base_version=1, changed=["place"]))
    out = lan.push(
        lan.mutation(
            "upsert",
            rid,
            {**base, "place": "P", "status": "draft"},
            base_version=1,
            changed=["status"],
        )
    )["results"][0]
    assert out["status"] == "conflict" and out["conflicts"][0]["field"] == "status"
    assert record(world.app, rid).status == "returned"


# -- refusals when resolving ---------------------------------------------------------------


def _place_conflict(world):
    hoa, lan, rid = setup_shared(world)
    base = activity_record(world.ids["b1"])
    hoa.push(hoa.mutation("upsert", rid, {**base, "place": "A"}, base_version=1, changed=["place"]))
    out = lan.push(
        lan.mutation("upsert", rid, {**base, "place": "B"}, base_version=1, changed=["place"])
    )
    return lan, rid, out["results"][0]["conflicts"][0]["id"]


def _refusal(resp, status, code):
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert body["code"] == code and body["message"] and body["message_en"]
    return body


def test_resolving_a_conflict_of_a_since_verified_record_is_refused(world):
    lan, rid, cid = _place_conflict(world)
    with world.app.app_context():
        db.session.get(Activity, rid).status = "verified"
        db.session.commit()
    body = _refusal(
        lan.post(f"/api/v1/conflicts/{cid}/resolve", {"choice": "client"}),
        409,
        "record_verified",
    )
    assert "xác nhận" in body["message"]
    assert record(world.app, rid).place == "A"
    # Keeping the server's value is still possible.
    assert lan.post(f"/api/v1/conflicts/{cid}/resolve", {"choice": "server"}).status_code == 200


def test_resolving_with_a_value_no_longer_valid_is_refused_with_the_errors(world):
    lan, rid, cid = _place_conflict(world)
    with world.app.app_context():
        db.session.execute(
            update(sync_conflicts)
            .where(sync_conflicts.c.id == uuid.UUID(cid))
            .values(client_value="x" * 300)
        )
        db.session.commit()
    body = _refusal(
        lan.post(f"/api/v1/conflicts/{cid}/resolve", {"choice": "client"}),
        422,
        "validation_failed",
    )
    assert body["errors"]["place"][0]["code"] == "too_long"


def test_resolving_a_kept_edit_that_would_move_the_record_out_of_reach_is_forbidden(world):
    # A conflict kept by an earlier version (before permission came first) whose kept
    # record names another branch.
    hoa, lan, rid = setup_shared(world)
    hoa.push(hoa.mutation("delete", rid, base_version=1))
    cid = uuid.uuid4()
    with world.app.app_context():
        db.session.execute(
            insert(sync_conflicts).values(
                id=cid,
                collection="activities",
                record_id=rid,
                kind="edit_deleted",
                client_value=activity_record(world.ids["b2"]),
                base_version=1,
                server_version=2,
                device_id=lan.device_id,
                mutation_n=1,
                actor="user:0",
                created_at=utcnow(),
            )
        )
        db.session.commit()
    _refusal(lan.post(f"/api/v1/conflicts/{cid}/resolve", {"choice": "client"}), 403, "forbidden")
    assert record(world.app, rid).deleted_at is not None
