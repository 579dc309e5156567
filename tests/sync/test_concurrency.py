"""No pull ever skips a change committed by a slower concurrent transaction.

SQLite's single writer hides this class of bug, so these run on PostgreSQL, where
transactions really commit out of the order in which they started.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest
from sqlalchemy.orm import Session

from server.activities.registry import sync_registry
from server.extensions import db
from server.models import Activity, User
from server.models.types import utcnow
from server.policy import scope_tag
from sync.changes import allocate
from sync.pull import pull
from sync.push import begin_write, push
from tests import factories as f
from tests.world import activity_record

pytestmark = pytest.mark.postgresql_only


def _insert_numbered(session: Session, unit_id: int, type_id: int) -> uuid.UUID:
    now = utcnow()
    a = Activity(
        id=uuid.uuid4(),
        unit_id=unit_id,
        type_id=type_id,
        title="Ghi song song",
        starts_on=now.date(),
        ends_on=now.date(),
        change_seq=0,
        created_at=now,
        updated_at=now,
    )
    session.add(a)
    session.flush()
    a.change_seq = allocate(session)[0]
    session.flush()
    return a.id


def test_a_slow_transaction_holding_a_number_is_never_skipped(world):
    reader = world.phone("lan")
    reader.sync_down()
    with world.app.app_context():
        type_id = f.activity_type().id
        engine = db.engine
    t1 = Session(engine)
    first = _insert_numbered(t1, world.ids["b1"], type_id)  # T1 holds its number, waits

    done = threading.Event()
    second: list[uuid.UUID] = []

    def t2() -> None:
        with Session(engine) as s:
            second.append(_insert_numbered(s, world.ids["b1"], type_id))
            s.commit()
        done.set()

    thread = threading.Thread(target=t2)
    thread.start()
    try:
        # T2 cannot commit a later number while T1 holds an earlier one.
        assert not done.wait(1.0)
        page = reader.pull()
        assert page["changes"] == []
        reader.cursor = page["cursor"]
    finally:
        t1.commit()
        t1.close()
        thread.join(10)
    assert done.is_set()
    page = reader.pull()
    assert [c["id"] for c in page["changes"]] == [str(first), str(second[0])]


WRITERS = 8
READERS = 3
PUSHES_PER_WRITER = 300  # 2,400 pushes in all, a quarter of them edits


def test_many_writers_and_readers_every_change_exactly_once(world):
    app = world.app
    phones = [world.phone("hoa" if i % 2 else "lan") for i in range(WRITERS)]
    with app.app_context():
        hoa_id = db.session.query(User.id).filter_by(username="hoa").scalar()
        lan_id = db.session.query(User.id).filter_by(username="lan").scalar()
    created: list[str] = []
    final: dict[str, int] = {}  # record id -> the version its last write made
    created_lock = threading.Lock()
    errors: list[BaseException] = []
    writers_done = threading.Event()

    def writer(i: int) -> None:
        rng = random.Random(i)
        user_id = hoa_id if i % 2 else lan_id
        mine: dict[str, int] = {}  # this writer's records and their versions
        try:
            with app.app_context():
                for n in range(1, PUSHES_PER_WRITER + 1):
                    session = db.session()
                    begin_write(session)
                    edit = bool(mine) and rng.random() < 0.25
                    # An edit gives a record already pulled a new, higher change number.
                    rid = rng.choice(sorted(mine)) if edit else str(uuid.uuid4())
                    m = {
                        "n": n,
                        "collection": "activities",
                        "op": "upsert",
                        "id": rid,
                        "base_version": mine[rid] if edit else None,
                        "record": activity_record(world.ids["b1"], title=f"W{i}-{n}"),
                    }
                    if rng.random() < 0.3:
                        time.sleep(rng.random() / 200)
                    out = push(
                        session,
                        sync_registry(),
                        device_id=phones[i].device_id,
                        actor=session.get(User, user_id),
                        actor_key=f"user:{user_id}",
                        mutations=[m],
                        now=utcnow(),
                    )
                    assert out.results[0]["status"] == "applied", out.results
                    session.commit()
                    mine[rid] = out.results[0]["version"]
                    with created_lock:
                        final[rid] = mine[rid]
                        if not edit:
                            created.append(rid)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    seen: list[list[tuple[str, int]]] = [[] for _ in range(READERS)]
    pulls = [0] * READERS

    def reader(k: int) -> None:
        cursor = None
        try:
            with app.app_context():
                user = db.session.get(User, hoa_id)
                tag = scope_tag(user)
                db.session.rollback()
                while True:
                    finishing = writers_done.is_set()
                    while True:
                        page = pull(
                            db.session(),
                            sync_registry(),
                            scope=db.session.get(User, hoa_id),
                            scope_tag=tag,
                            cursor=cursor,
                            limit=37,
                        )
                        db.session.rollback()
                        pulls[k] += 1
                        seen[k].extend((c["id"], c["version"]) for c in page.changes)
                        cursor = page.cursor
                        if not page.has_more:
                            break
                    if finishing:
                        return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    readers = [threading.Thread(target=reader, args=(k,)) for k in range(READERS)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join(300)
    writers_done.set()
    for t in readers:
        t.join(120)
    assert not errors, errors
    assert sum(v for v in final.values()) == WRITERS * PUSHES_PER_WRITER  # versions 1, 2, …
    assert len(final) == len(created) < WRITERS * PUSHES_PER_WRITER  # some were edits
    for k in range(READERS):
        assert len(seen[k]) == len(set(seen[k])), "a change was delivered twice"
        last: dict[str, int] = {}
        for rid, version in seen[k]:
            assert version > last.get(rid, 0), "an older version came after a newer one"
            last[rid] = version
        # Every record, each at its last version: no change was skipped.
        assert last == final, "a change was skipped"
        assert pulls[k] > 10
