"""Pull: changes after an opaque cursor, in server order, in pages, never skipping one."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from sync.cursor import decode
from sync.errors import ResyncRequired
from sync.records import ServerChanges
from sync.tables import sync_state
from sync.tombstones import purge

from .conftest import Store, note
from .toy import Note


def _ids(changes: list[dict]) -> list[str]:
    return [c["id"] for c in changes]


def test_changes_come_in_server_order_and_a_cursor_is_exclusive(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan")
    a, b, c = (uuid.uuid4() for _ in range(3))
    store.push(hoa, hoa.upsert(a, note("A")), hoa.upsert(b, note("B")))
    store.push(lan, lan.upsert(c, note("C")))
    store.push(hoa, hoa.upsert(a, note("A2"), base=1, changed=["title"]))
    changes = store.sync_down(lan)
    # a's edit took a later number than c: a comes once, after c, at its last version.
    assert _ids(changes) == [str(b), str(c), str(a)]
    assert changes[-1] == {
        "collection": "notes",
        "id": str(a),
        "version": 2,
        "deleted": False,
        "record": {"team": "red", "title": "A2", "body": "", "by": "hoa"},
    }
    assert store.pull("red", lan.cursor).changes == []  # nothing after the cursor


def test_pages_follow_each_other_without_gap_or_repeat(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan")
    ids = [uuid.uuid4() for _ in range(7)]
    store.push(hoa, *[hoa.upsert(i, note(f"Số {k}")) for k, i in enumerate(ids)])
    pages = []
    while True:
        page = store.pull("red", lan.cursor, limit=3)
        pages.append(_ids(page.changes))
        lan.cursor = page.cursor
        if not page.has_more:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == [str(i) for i in ids]
    assert decode(lan.cursor).change == 7


def test_a_device_sees_its_scope_only_and_a_changed_scope_resyncs(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan", team="blue")
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    store.push(hoa, hoa.upsert(mine, note("Đỏ")))
    store.push(lan, lan.upsert(theirs, note("Xanh", team="blue")))
    assert _ids(store.sync_down(hoa)) == [str(mine)]
    with pytest.raises(ResyncRequired) as refused:
        store.pull("red", hoa.cursor, tag="11111111")
    assert refused.value.details == {"reason": "scope_changed"}


@pytest.mark.parametrize(
    "cursor, reason",
    [("garbage", "bad_cursor"), ("1.5b0c3a52.999.00000000", "cursor_ahead")],
)
def test_a_cursor_the_engine_cannot_serve_asks_for_a_resync(store: Store, cursor, reason):
    with pytest.raises(ResyncRequired) as refused:
        store.pull("red", cursor)
    assert refused.value.details == {"reason": reason}


def test_a_cursor_from_another_database_asks_for_a_resync(store: Store):
    hoa = store.device("hoa")
    store.sync_down(hoa)
    with store.session() as s:  # as a restore from another database would
        s.execute(update(sync_state).values(epoch=str(uuid.uuid4())))
        s.commit()
    with pytest.raises(ResyncRequired) as refused:
        store.pull("red", hoa.cursor)
    assert refused.value.details == {"reason": "epoch_changed"}


def test_tombstones_reach_incremental_pulls_not_full_downloads_and_expire(store: Store):
    hoa, lan = store.device("hoa"), store.device("lan")
    keep, gone = uuid.uuid4(), uuid.uuid4()
    store.push(hoa, hoa.upsert(keep, note("Giữ")), hoa.upsert(gone, note("Xoá")))
    store.sync_down(lan)
    old_cursor = lan.cursor
    store.push(hoa, hoa.delete(gone, base=1))
    assert store.sync_down(lan) == [
        {"collection": "notes", "id": str(gone), "version": 2, "deleted": True, "record": None}
    ]
    assert _ids(store.pull("red", None).changes) == [str(keep)]
    # After the horizon the tombstone leaves the feed: an older cursor resyncs, the
    # device's current one (past the tombstone) does not, and the row itself stays.
    with store.session() as s:
        retired = purge(s, store.registry, deleted_before=store.now() + timedelta(days=1))
        s.commit()
    assert retired == 1
    with pytest.raises(ResyncRequired) as refused:
        store.pull("red", old_cursor)
    assert refused.value.details == {"reason": "cursor_expired"}
    assert store.pull("red", lan.cursor).changes == []
    with store.session() as s:
        assert s.get(Note, gone).deleted_at is not None


@pytest.mark.postgresql_only
def test_a_number_held_by_an_open_transaction_is_never_skipped(store: Store):
    """Two writers commit out of the order they took their numbers only if the engine
    lets them; a reader must never pass the slower one's change (decision 4)."""
    lan = store.device("lan")
    store.sync_down(lan)
    slow = store.session()
    first = Note(id=uuid.uuid4(), team="red", title="Chậm")
    changes = ServerChanges(slow, store.notes)
    changes.create(first)
    changes.number()  # holds number 1 and the counter, uncommitted

    done = threading.Event()
    second = Note(id=uuid.uuid4(), team="red", title="Nhanh")

    def fast() -> None:
        with store.session() as s:
            later = ServerChanges(s, store.notes)
            later.create(second)
            later.number()
            s.commit()
        done.set()

    thread = threading.Thread(target=fast)
    thread.start()
    try:
        assert not done.wait(1.0)  # it waits for the counter
        assert store.pull("red", lan.cursor).changes == []
    finally:
        slow.commit()
        slow.close()
        thread.join(10)
    assert done.is_set()
    assert _ids(store.sync_down(lan)) == [str(first.id), str(second.id)]


def test_numbers_given_without_the_counter_do_not_make_every_poll_a_resync(store: Store):
    """A bulk load (a benchmark's) numbers rows itself and sets the counter: the cursors
    over those numbers must still hold from one poll to the next."""
    hoa, lan = store.device("hoa"), store.device("lan")
    store.push(hoa, hoa.upsert(uuid.uuid4(), note("A")))
    bulk = [uuid.uuid4() for _ in range(4)]
    with store.session() as s:
        for k, rid in enumerate(bulk, start=2):
            s.add(
                Note(
                    id=rid,
                    team="red",
                    title=f"Nạp {k}",
                    body="",
                    version=1,
                    field_versions={},
                    change_seq=k,
                )
            )
        s.execute(update(sync_state).values(last_change=5))
        s.commit()
    assert len(store.sync_down(lan, limit=2)) == 5
    assert store.pull("red", lan.cursor).changes == []
    store.push(hoa, hoa.upsert(uuid.uuid4(), note("B")))
    assert [c["record"]["title"] for c in store.sync_down(lan)] == ["B"]
