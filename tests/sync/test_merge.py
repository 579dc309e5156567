"""Field-level merge, conflicts kept and resolved, edits and deletes that cross."""

from __future__ import annotations

import uuid

from server.extensions import db
from server.models import Activity
from tests.world import activity_record


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
