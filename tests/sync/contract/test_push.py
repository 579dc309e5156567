"""Push: each mutation applied exactly once, in the device's order, or refused whole."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select

from schemas.sync import MAX_MUTATIONS
from sync.errors import BadBatch, MutationGap, MutationMismatch
from sync.tables import sync_devices, sync_mutations

from .conftest import Store, note
from .toy import Note


def _stored(store: Store, record_id: uuid.UUID) -> Note | None:
    with store.session() as s:
        return s.get(Note, record_id)


def _count(store: Store, table) -> int:
    return store.execute(select(func.count()).select_from(table))[0][0]


def test_a_new_record_is_applied_at_version_one_with_every_field_marked(store: Store):
    hoa = store.device("hoa")
    rid = uuid.uuid4()
    out = store.push(hoa, hoa.upsert(rid, note("Trồng cây")))
    assert out.last_applied == 1
    assert out.results == [
        {"n": 1, "id": str(rid), "status": "applied", "version": 1, "deleted": False}
    ]
    n = _stored(store, rid)
    assert (n.title, n.version, n.edited_by, n.deleted_at) == ("Trồng cây", 1, "hoa", None)
    assert n.field_versions == {"team": 1, "title": 1, "body": 1}
    assert n.change_seq == 1


def test_a_retried_batch_is_answered_from_the_log_and_applies_nothing_twice(store: Store):
    hoa = store.device("hoa")
    batch = [hoa.upsert(uuid.uuid4(), note(f"Số {i}")) for i in range(3)]
    first = store.push(hoa, *batch)
    again = store.push(hoa, *batch)
    assert again.results == first.results and again.last_applied == 3
    assert _count(store, Note) == 3 and _count(store, sync_mutations) == 3
    # A retry that overlaps new mutations: the old answered, the new applied once.
    more = [hoa.upsert(uuid.uuid4(), note("Số 3")), hoa.upsert(uuid.uuid4(), note("Số 4"))]
    out = store.push(hoa, *batch[1:], *more)
    assert out.results[:2] == first.results[1:]
    assert [r["status"] for r in out.results[2:]] == ["applied", "applied"]
    assert out.last_applied == 5 and _count(store, Note) == 5


def test_an_old_number_whose_log_row_is_gone_is_answered_already_applied(store: Store):
    hoa = store.device("hoa")
    m = hoa.upsert(uuid.uuid4(), note())
    store.push(hoa, m)
    with store.session() as s:
        s.execute(delete(sync_mutations))
        s.commit()
    assert store.push(hoa, m).results == [{"n": 1, "status": "already_applied"}]


def test_a_gap_refuses_the_whole_batch_and_names_the_expected_number(store: Store):
    hoa = store.device("hoa")
    store.push(hoa, hoa.upsert(uuid.uuid4(), note()))
    hoa.next_n = 3
    with pytest.raises(MutationGap) as refused:
        store.push(hoa, hoa.upsert(uuid.uuid4(), note("Sau chỗ hổng")))
    assert refused.value.details == {"expected": 2}
    assert _count(store, Note) == 1
    assert store.execute(select(sync_devices.c.last_mutation))[0][0] == 1


def test_the_same_number_with_another_payload_refuses_the_whole_batch(store: Store):
    hoa = store.device("hoa")
    rid = uuid.uuid4()
    store.push(hoa, hoa.upsert(rid, note("Gốc")))
    hoa.next_n = 1
    other = hoa.upsert(rid, note("Khác"))
    new = hoa.upsert(uuid.uuid4(), note("Mới"))
    with pytest.raises(MutationMismatch) as refused:
        store.push(hoa, other, new)
    assert refused.value.details == {"n": 1, "expected": 2}
    assert _stored(store, rid).title == "Gốc" and _count(store, Note) == 1


@pytest.mark.parametrize(
    "numbers, message",
    [([1, 3], "consecutive"), ([2, 1], "consecutive"), ([1, 1], "consecutive")],
)
def test_a_batch_out_of_order_is_refused(store: Store, numbers, message):
    hoa = store.device("hoa")
    batch = [hoa.upsert(uuid.uuid4(), note()) for _ in numbers]
    for m, n in zip(batch, numbers, strict=True):
        m["n"] = n
    with pytest.raises(BadBatch, match=message):
        store.push(hoa, *batch)
    assert _count(store, Note) == 0


def test_a_batch_over_the_protocols_limit_is_refused(store: Store):
    hoa = store.device("hoa")
    batch = [hoa.upsert(uuid.uuid4(), note()) for _ in range(MAX_MUTATIONS + 1)]
    with pytest.raises(BadBatch) as refused:
        store.push(hoa, *batch)
    assert refused.value.details == {"limit": MAX_MUTATIONS}
    assert _count(store, Note) == 0


def test_a_rejected_mutation_blocks_later_ones_of_its_record_only(store: Store):
    hoa = store.device("hoa")
    bad, good = uuid.uuid4(), uuid.uuid4()
    out = store.push(
        hoa,
        hoa.upsert(bad, note("x" * 101)),
        hoa.upsert(bad, note("Sửa lại"), base=1, changed=["title"]),
        hoa.upsert(good, note("Tốt")),
        {**hoa.upsert(uuid.uuid4(), note()), "collection": "photos"},
        hoa.upsert(uuid.uuid4(), note(team="blue")),
    )
    statuses = [(r["status"], r.get("reason", {}).get("code")) for r in out.results]
    assert statuses == [
        ("rejected", "validation_failed"),
        ("rejected", "blocked_by_rejected"),
        ("applied", None),
        ("rejected", "unknown_collection"),
        ("rejected", "forbidden"),
    ]
    assert out.results[0]["errors"]["title"][0]["code"] == "too_long"
    assert out.results[1]["reason"]["params"] == {"n": 1}
    assert out.last_applied == 5  # every number is used, refused or not
    assert _stored(store, bad) is None and _stored(store, good).title == "Tốt"
    # Refused payloads are kept whole (quarantine); applied ones are not.
    kept = dict(store.execute(select(sync_mutations.c.n, sync_mutations.c.payload)))
    assert kept[1]["record"]["title"] == "x" * 101 and kept[3] is None


def test_a_row_the_database_refuses_rejects_only_its_own_mutation(store: Store):
    """Validation cannot foresee everything: the batch is redone one savepoint per
    mutation, and only the culprit is refused (``storage_refused``)."""
    hoa = store.device("hoa")
    ids = [uuid.uuid4() for _ in range(3)]
    out = store.push(
        hoa,
        hoa.upsert(ids[0], note("Một")),
        hoa.upsert(ids[1], note("Hai", body="refuse me")),
        hoa.upsert(ids[0], note("Một, sửa"), base=1, changed=["title"]),
        hoa.upsert(ids[2], note("Ba")),
    )
    statuses = [(r["status"], r.get("reason", {}).get("code")) for r in out.results]
    assert statuses == [
        ("applied", None),
        ("rejected", "storage_refused"),
        ("applied", None),
        ("applied", None),
    ]
    assert _stored(store, ids[0]).title == "Một, sửa" and _stored(store, ids[1]) is None
    assert sorted(r[0] for r in store.execute(select(Note.change_seq))) == [1, 2]
    assert _count(store, sync_mutations) == 4


def test_a_delete_of_an_id_nobody_has_is_answered_as_applied(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan", team="blue")
    theirs = uuid.uuid4()
    store.push(lan, lan.upsert(theirs, note(team="blue")))
    out = store.push(hoa, hoa.delete(uuid.uuid4()), hoa.delete(theirs))
    # Another team's note is answered exactly as an unknown id: nothing tells it exists.
    assert out.results[0] | {"n": 2, "id": str(theirs)} == out.results[1]
    assert out.results[1] == {
        "n": 2,
        "id": str(theirs),
        "status": "applied",
        "version": None,
        "deleted": True,
    }
    assert _stored(store, theirs).deleted_at is None


def test_a_delete_leaves_a_tombstone_with_a_new_version_and_number(store: Store):
    hoa = store.device("hoa")
    rid = uuid.uuid4()
    store.push(hoa, hoa.upsert(rid, note()))
    out = store.push(hoa, hoa.delete(rid, base=1), hoa.delete(rid, base=2))
    assert [(r["status"], r["version"], r["deleted"]) for r in out.results] == [
        ("applied", 2, True),
        ("applied", 2, True),
    ]
    n = _stored(store, rid)
    assert n.deleted_at is not None and n.change_seq == 2


def test_a_push_costs_the_collection_a_few_calls_per_mutation(store: Store):
    """The interface is coarse: ``load``, ``check``, ``write`` and ``to_wire`` once per
    mutation (the stored record, compared with what was sent), not one call per field."""
    hoa = store.device("hoa")
    ids = [uuid.uuid4() for _ in range(10)]
    store.push(hoa, *[hoa.upsert(i, note(f"Số {k}")) for k, i in enumerate(ids)])
    assert store.notes.calls == {"load": 10, "check": 10, "to_wire": 10, "write": 10}
    store.notes.calls.clear()
    store.push(hoa, *[hoa.upsert(i, note("Đổi"), base=1, changed=["title"]) for i in ids])
    assert store.notes.calls == {"load": 10, "check": 10, "to_wire": 10, "write": 10}
