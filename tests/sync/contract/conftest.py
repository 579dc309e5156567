"""The engine's contract suite: one suite, every backend (after Kinto's ``StorageTest``).

The engine runs here on a plain SQLAlchemy session over a toy collection of its own
(:mod:`tests.sync.contract.toy`): no Flask, no HTTP, no app model. The backend follows the
suite's convention: SQLite, or PostgreSQL when ``TEST_DATABASE_URL`` is set, so ``make
test`` and ``make test-pg`` run it on both. The engine's tables and the toy's are made from
their metadata (the app's migrations make the same engine tables:
``tests/server/test_migrations.py``); each test starts empty.

SQLite engines get the app's connection set-up (``server/database.py``, registered for
every engine when the app's package is imported): the engine needs its transactions begun
by SQLAlchemy, ``IMMEDIATE`` for a push.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import server.database  # noqa: F401  (SQLite: BEGIN by SQLAlchemy, IMMEDIATE for pushes)
from sync.collection import Registry
from sync.pull import Page, pull
from sync.push import PushOutcome, push
from sync.tables import metadata as sync_metadata
from sync.tables import sync_state

from .toy import Base, Member, Notes

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
EPOCH = "5b0c3a52-7a3e-4a51-9f55-0d6c1e2b8a10"
TABLES = [*Base.metadata.sorted_tables, *sync_metadata.sorted_tables]


class Backend:
    """A database for the suite: a file per test on SQLite; on PostgreSQL one database for
    the session, emptied before each test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.count = 0
        self.pg: Engine | None = None
        if TEST_DATABASE_URL:
            url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
            self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
            self.name = f"sodoan_contract_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.pg = create_engine(url.set(database=self.name))
            Base.metadata.create_all(self.pg)
            sync_metadata.create_all(self.pg)

    def fresh(self) -> Engine:
        if self.pg is not None:
            engine = self.pg
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(t.name for t in TABLES)}"))
        else:
            self.count += 1
            engine = create_engine(f"sqlite:///{self.workdir / f'contract_{self.count}.db'}")
            Base.metadata.create_all(engine)
            sync_metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(delete(sync_state))
            conn.execute(insert(sync_state).values(id=1, last_change=0, epoch=EPOCH))
        return engine

    def close(self) -> None:
        if self.pg is not None:
            self.pg.dispose()
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def contract_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    backend = Backend(tmp_path_factory.mktemp("contract"))
    yield backend
    backend.close()


@dataclass
class Device:
    """A device as the engine sees it: its id, its member and its next mutation number."""

    id: uuid.UUID
    member: Member
    next_n: int = 1
    cursor: str | None = None
    notes: dict[str, dict] = field(default_factory=dict)

    def upsert(
        self,
        record_id: uuid.UUID,
        record: dict,
        *,
        base: int | None = None,
        changed: list[str] | None = None,
    ) -> dict:
        m = {"n": self._take(), "collection": "notes", "op": "upsert", "id": str(record_id)}
        m.update(base_version=base, record=record)
        if changed is not None:
            m["changed"] = changed
        return m

    def delete(self, record_id: uuid.UUID, *, base: int | None = None) -> dict:
        m = {"n": self._take(), "collection": "notes", "op": "delete", "id": str(record_id)}
        m["base_version"] = base
        return m

    def _take(self) -> int:
        n, self.next_n = self.next_n, self.next_n + 1
        return n


class Store:
    """The engine on one database, driven as the app drives it: a fresh session per
    request, the caller commits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.notes = Notes()
        self.registry = Registry()
        self.registry.register(self.notes)
        self.clock = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def device(self, name: str, team: str = "red") -> Device:
        return Device(uuid.uuid4(), Member(name, team))

    def push(self, device: Device, *mutations: dict) -> PushOutcome:
        with self.session() as s:
            out = push(
                s,
                self.registry,
                device_id=device.id,
                actor=device.member,
                actor_key=device.member.key,
                mutations=list(mutations),
                now=self.now(),
            )
            s.commit()
        return out

    def pull(
        self, scope: str, cursor: str | None, *, limit: int = 500, tag: str = "00000000"
    ) -> Page:
        with self.session() as s:
            page = pull(s, self.registry, scope=scope, scope_tag=tag, cursor=cursor, limit=limit)
            s.rollback()
        return page

    def sync_down(self, device: Device, *, limit: int = 500) -> list[dict[str, Any]]:
        """Every page after the device's cursor into its notes; the changes received."""
        received = []
        while True:
            page = self.pull(device.member.team, device.cursor, limit=limit)
            for c in page.changes:
                received.append(c)
                if c["deleted"]:
                    device.notes.pop(c["id"], None)
                else:
                    device.notes[c["id"]] = {**c["record"], "_version": c["version"]}
            device.cursor = page.cursor
            if not page.has_more:
                return received

    def execute(self, statement: Any) -> Any:
        with self.session() as s:
            rows = s.execute(statement).all()
            s.rollback()
        return rows


@pytest.fixture
def store(contract_backend: Backend) -> Iterator[Store]:
    engine = contract_backend.fresh()
    yield Store(engine)
    if contract_backend.pg is None:
        engine.dispose()


def note(title: str = "Họp chi đoàn", team: str = "red", body: str = "") -> dict:
    return {"team": team, "title": title, "body": body}
