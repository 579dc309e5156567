"""Field merge, kept conflicts and their resolution, and the server's own changes."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from sync import log
from sync.conflicts import ConflictError, conflict_target, open_conflicts, resolve
from sync.records import ServerChanges

from .conftest import Device, Store, note
from .toy import Note


def _shared(store: Store) -> tuple[Device, Device, uuid.UUID]:
    """Two devices of one team holding the same note at version 1."""
    hoa, lan = store.device("hoa"), store.device("lan")
    rid = uuid.uuid4()
    store.push(hoa, hoa.upsert(rid, note("Gốc", body="Nội dung")))
    return hoa, lan, rid


def _stored(store: Store, rid: uuid.UUID) -> Note:
    with store.session() as s:
        return s.get(Note, rid)


def _open(store: Store, rid: uuid.UUID) -> list:
    return store.execute(open_conflicts([rid]))


def test_edits_of_different_fields_both_win(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(
        hoa, hoa.upsert(rid, note("Tiêu đề mới", body="Nội dung"), base=1, changed=["title"])
    )
    out = store.push(lan, lan.upsert(rid, note("Gốc", body="Thân mới"), base=1, changed=["body"]))
    [answer] = out.results
    assert (answer["status"], answer["version"]) == ("merged", 3)
    # The answer carries the server's copy: the device lacked hoa's title.
    assert answer["record"] == {
        "team": "red",
        "title": "Tiêu đề mới",
        "body": "Thân mới",
        "by": "lan",
    }
    n = _stored(store, rid)
    assert (n.title, n.body) == ("Tiêu đề mới", "Thân mới")
    assert n.field_versions == {"team": 1, "title": 2, "body": 3}
    assert _open(store, rid) == []


def test_the_same_field_first_to_arrive_wins_and_the_other_is_kept(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(hoa, hoa.upsert(rid, note("Của Hoa", body="Nội dung"), base=1, changed=["title"]))
    out = store.push(
        lan, lan.upsert(rid, note("Của Lan", body="Nội dung"), base=1, changed=["title"])
    )
    [answer] = out.results
    assert answer["status"] == "conflict" and answer["version"] == 2
    [kept] = answer["conflicts"]
    assert {k: kept[k] for k in ("kind", "field", "server_value", "client_value")} == {
        "kind": "field",
        "field": "title",
        "server_value": "Của Hoa",
        "client_value": "Của Lan",
    }
    assert _stored(store, rid).title == "Của Hoa"
    [row] = _open(store, rid)
    assert (row.actor, row.device_id, row.mutation_n) == ("toy:lan", lan.id, 1)


def test_a_devices_own_earlier_edits_never_conflict_with_its_later_ones(store: Store):
    hoa, _lan, rid = _shared(store)
    out = store.push(
        hoa,
        hoa.upsert(rid, note("Lần 1", body="Nội dung"), base=1, changed=["title"]),
        hoa.upsert(rid, note("Lần 2", body="Nội dung"), base=1, changed=["title"]),
    )
    assert [r["status"] for r in out.results] == ["applied", "applied"]
    assert _stored(store, rid).title == "Lần 2"


def test_a_version_whose_copy_the_device_set_aside_is_not_proof_it_saw_it(store: Store):
    """Hoa's first edit is merged over Lan's body (version 3, the copy sent back). Hoa had
    a second edit waiting when that answer came, so the phone kept its own state and set
    the copy aside; a third entry built on version 3 has still not seen Lan's body, and
    must not overwrite it silently."""
    hoa, lan, rid = _shared(store)
    store.push(lan, lan.upsert(rid, note("Gốc", body="Của Lan"), base=1, changed=["body"]))
    first = hoa.upsert(rid, note("Hoa 1", body="Nội dung"), base=1, changed=["title"])
    waiting = hoa.upsert(rid, note("Hoa 2", body="Nội dung"), base=1, changed=["title"])
    out = store.push(hoa, first)
    assert (out.results[0]["status"], out.results[0]["version"]) == ("merged", 3)
    third = hoa.upsert(rid, note("Hoa 2", body="Của Hoa"), base=3, changed=["body"])
    out = store.push(hoa, waiting, third)
    assert [r["status"] for r in out.results] == ["merged", "conflict"]
    assert _stored(store, rid).body == "Của Lan"


def test_a_field_sent_as_the_server_has_it_changes_nothing(store: Store):
    hoa, _lan, rid = _shared(store)
    out = store.push(hoa, hoa.upsert(rid, note("Gốc", body="Nội dung"), base=1))
    assert (out.results[0]["status"], out.results[0]["version"]) == ("applied", 1)
    assert "record" not in out.results[0]
    assert _stored(store, rid).change_seq == 1


def test_an_unknown_changed_field_is_refused(store: Store):
    hoa, _lan, rid = _shared(store)
    out = store.push(hoa, hoa.upsert(rid, note(), base=1, changed=["colour"]))
    assert out.results[0]["reason"]["code"] == "validation_failed"
    assert [p["code"] for p in out.results[0]["errors"]["colour"]] == ["unknown_field"]
    assert _stored(store, rid).version == 1


def test_an_edit_of_a_deleted_record_and_a_stale_delete_are_kept(store: Store):
    hoa, lan, rid = _shared(store)
    other = uuid.uuid4()
    store.push(hoa, hoa.delete(rid, base=1), hoa.upsert(other, note("Khác")))
    out = store.push(lan, lan.upsert(rid, note("Sửa khi đã xoá"), base=1, changed=["title"]))
    assert (out.results[0]["status"], out.results[0]["deleted"]) == ("conflict", True)
    assert out.results[0]["conflicts"][0]["kind"] == "edit_deleted"
    store.push(hoa, hoa.upsert(other, note("Khác, sửa"), base=1, changed=["title"]))
    out = store.push(lan, lan.delete(other, base=1))
    assert out.results[0]["status"] == "conflict"
    assert out.results[0]["record"]["title"] == "Khác, sửa"  # the record stays, sent back
    assert _stored(store, other).deleted_at is None
    assert [r.kind for r in _open(store, other)] == ["delete_edited"]


def test_resolving_for_the_device_is_a_new_change_every_device_pulls(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(hoa, hoa.upsert(rid, note("Của Hoa", body="Nội dung"), base=1, changed=["title"]))
    store.push(lan, lan.upsert(rid, note("Của Lan", body="Nội dung"), base=1, changed=["title"]))
    store.sync_down(hoa)
    [row] = _open(store, rid)
    with store.session() as s:
        assert conflict_target(s, row.id) == ("notes", rid)
        out = resolve(
            s,
            store.registry,
            row.id,
            choice="client",
            actor=lan.member,
            actor_key="toy:lan",
            now=store.now(),
        )
        s.commit()
    assert out == {
        "id": str(row.id),
        "resolution": "client",
        "record_id": str(rid),
        "version": 3,
        "deleted": False,
    }
    n = _stored(store, rid)
    assert (n.title, n.field_versions["title"], n.change_seq) == ("Của Lan", 3, 3)
    [change] = store.sync_down(hoa)
    assert (change["version"], change["record"]["title"]) == (3, "Của Lan")
    with store.session() as s, pytest.raises(ConflictError) as again:
        resolve(
            s,
            store.registry,
            row.id,
            choice="server",
            actor=lan.member,
            actor_key="toy:lan",
            now=store.now(),
        )
    assert again.value.code == "conflict_resolved"


def test_resolving_for_the_server_changes_nothing_but_the_conflict(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(hoa, hoa.delete(rid, base=1))
    store.push(lan, lan.upsert(rid, note("Sửa"), base=1, changed=["title"]))
    [row] = _open(store, rid)
    with store.session() as s:
        resolve(
            s,
            store.registry,
            row.id,
            choice="server",
            actor=lan.member,
            actor_key="toy:lan",
            now=store.now(),
        )
        s.commit()
    assert _open(store, rid) == [] and _stored(store, rid).change_seq == 2


def test_a_kept_edit_of_a_deleted_record_restores_it(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(hoa, hoa.delete(rid, base=1))
    store.push(lan, lan.upsert(rid, note("Khôi phục", body="Đủ"), base=1, changed=["title"]))
    [row] = _open(store, rid)
    with store.session() as s:
        out = resolve(
            s,
            store.registry,
            row.id,
            choice="client",
            actor=lan.member,
            actor_key="toy:lan",
            now=store.now(),
        )
        s.commit()
    assert (out["version"], out["deleted"]) == (3, False)
    n = _stored(store, rid)
    assert (n.title, n.body, n.deleted_at) == ("Khôi phục", "Đủ", None)
    assert n.field_versions == {"team": 3, "title": 3, "body": 3}


def test_a_resolution_the_rules_now_refuse_changes_nothing(store: Store):
    hoa, lan, rid = _shared(store)
    store.push(hoa, hoa.upsert(rid, note("Của Hoa", body="Nội dung"), base=1, changed=["title"]))
    store.push(lan, lan.upsert(rid, note("Của Lan", body="Nội dung"), base=1, changed=["title"]))
    [row] = _open(store, rid)
    with store.session() as s:
        s.get(Note, rid).locked = True
        s.commit()
    with store.session() as s, pytest.raises(ConflictError) as refused:
        resolve(
            s,
            store.registry,
            row.id,
            choice="client",
            actor=lan.member,
            actor_key="toy:lan",
            now=store.now(),
        )
    assert refused.value.code == "record_verified"
    assert _stored(store, rid).title == "Của Hoa" and len(_open(store, rid)) == 1


def test_a_server_change_is_numbered_marked_and_beats_older_offline_edits(store: Store):
    """As a reviewer's decision: the server sets a field itself; devices pull it, and a
    device's offline edit of that field made before it saw the change is kept as a
    conflict instead of undoing it."""
    hoa, lan, rid = _shared(store)
    store.sync_down(lan)
    with store.session() as s:
        n = s.get(Note, rid)
        n.title, n.edited_by = "Đã duyệt", "reviewer"
        changes = ServerChanges(s, store.notes)
        changes.update(n, ["title", "edited_by"])  # edited_by is the server's: not marked
        changes.update(n, ["title"])  # once per transaction
        changes.number()
        s.commit()
    n = _stored(store, rid)
    assert (n.version, n.change_seq, n.field_versions) == (
        2,
        2,
        {"team": 1, "title": 2, "body": 1},
    )
    [change] = store.sync_down(lan)
    assert (change["version"], change["record"]["title"]) == (2, "Đã duyệt")
    out = store.push(
        hoa, hoa.upsert(rid, note("Sửa offline", body="Nội dung"), base=1, changed=["title"])
    )
    assert out.results[0]["status"] == "conflict" and _stored(store, rid).title == "Đã duyệt"


def test_server_created_records_are_numbered_in_the_order_given(store: Store):
    lan = store.device("lan")
    ids = [uuid.uuid4() for _ in range(3)]
    with store.session() as s:
        changes = ServerChanges(s, store.notes)
        for k, rid in enumerate(ids):
            changes.create(Note(id=rid, team="red", title=f"Mẫu {k}"))
        changes.number()
        s.commit()
    rows = store.execute(select(Note.id, Note.version, Note.change_seq).order_by(Note.change_seq))
    assert [tuple(r) for r in rows] == [(ids[0], 1, 1), (ids[1], 1, 2), (ids[2], 1, 3)]
    assert [c["id"] for c in store.sync_down(lan)] == [str(i) for i in ids]
    with store.session() as s:
        changes = ServerChanges(s, store.notes)
        changes.delete(s.get(Note, ids[0]), store.now())
        changes.number()
        s.commit()
    [gone] = store.sync_down(lan)
    assert (gone["id"], gone["deleted"], gone["version"]) == (str(ids[0]), True, 2)


def test_refused_mutations_are_listed_newest_first_with_whether_they_were_resent(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan")
    fixed, stuck = uuid.uuid4(), uuid.uuid4()
    store.push(hoa, hoa.upsert(fixed, note("")))
    store.push(hoa, hoa.upsert(stuck, note("x" * 101)))
    store.push(hoa, hoa.upsert(fixed, note("Đã sửa")))
    store.push(lan, lan.upsert(uuid.uuid4(), note("")))
    with store.session() as s:
        rows = log.refused(s, actors=["toy:hoa"], limit=10)
    assert [(r.payload["id"], r.resent) for r in rows] == [(str(stuck), False), (str(fixed), True)]
    assert {r.actor for r in rows} == {"toy:hoa"}
    assert rows[0].result["reason"]["code"] == "validation_failed"
