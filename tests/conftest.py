"""Fixtures: a fresh, migrated database per test, on SQLite or PostgreSQL.

The backend is SQLite unless ``TEST_DATABASE_URL`` names a PostgreSQL server, so the same
suite is the contract for both (``.ci/run`` runs it twice). The schema is made the only way
production makes it — by the migrations — once per session into a template, and each test
gets a copy: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import _database_uri
from server.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


class Backend:
    """Hands out fresh databases made from one migrated template."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if TEST_DATABASE_URL:
            self.name = "postgresql"
            self.admin_uri = _database_uri(TEST_DATABASE_URL, workdir)
            self.admin = create_engine(self.admin_uri, isolation_level="AUTOCOMMIT")
            self.template = f"sodoan_tmpl_{self.tag}"
            self._pg(f'DROP DATABASE IF EXISTS "{self.template}"')
            self._pg(f'CREATE DATABASE "{self.template}"')
            template_uri = self._pg_uri(self.template)
        else:
            self.name = "sqlite"
            self.template = str(workdir / "template.sqlite3")
            template_uri = f"sqlite:///{self.template}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": template_uri})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        if self.name == "sqlite":
            # Fold the WAL into the main file so a plain file copy is complete.
            raw = sqlite3.connect(self.template, isolation_level=None)
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.execute("PRAGMA journal_mode=DELETE")
            raw.close()
        self.counter = 0

    def _pg(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _pg_uri(self, database: str) -> str:
        return make_url(self.admin_uri).set(database=database).render_as_string(hide_password=False)

    def fresh(self) -> str:
        self.counter += 1
        if self.name == "postgresql":
            name = f"sodoan_t_{self.tag}_{self.counter}"
            self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            return self._pg_uri(name)
        path = self.workdir / f"test_{self.counter}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, uri: str) -> None:
        url = make_url(uri)
        if self.name == "postgresql":
            self._pg(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.database}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self.name == "postgresql":
            self._pg(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            self.admin.dispose()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    b = Backend(tmp_path_factory.mktemp("db"))
    yield b
    b.close()


@pytest.fixture
def database_uri(backend: Backend) -> Iterator[str]:
    """A fresh migrated database of its own for this test."""
    uri = backend.fresh()
    yield uri
    backend.drop(uri)


@pytest.fixture
def evidence_config(tmp_path: Path) -> dict[str, object]:
    """Where a test app keeps evidence photos: its own temporary directories."""
    return {
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "EVIDENCE_UPLOAD_DIR": str(tmp_path / "evidence-uploads"),
    }


@pytest.fixture
def app(database_uri: str, evidence_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "WTF_CSRF_ENABLED": False,
            **evidence_config,
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """Build extra apps with their own config; their connections are closed afterwards."""
    made: list[Flask] = []

    def build(**config: object) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield build
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """Run the test body inside an app context (for tests of models and services)."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def pytest_report_header(config: pytest.Config) -> str:
    if TEST_DATABASE_URL:
        return f"database backend: postgresql ({make_url(TEST_DATABASE_URL).render_as_string()})"
    return "database backend: sqlite (set TEST_DATABASE_URL to run on PostgreSQL)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: set TEST_DATABASE_URL")
    for item in items:
        if "postgresql_only" in item.keywords:
            item.add_marker(skip)


from tests.world import world  # noqa: E402, F401  (a shared fixture)
