"""Backups of the SQLite database while the app runs, and restores every phone notices.

SQLite's online backup API copies a consistent snapshot page by page while writers go on
(a file copy of a WAL database can miss what is still in the ``-wal`` file). A restore
copies the backup into the live file the same way, so the running app's connections see the
restored data on their next statement, never a half-copied file.

A restore must change the database's epoch (decision 93): the backup carries the epoch it
had, so without a new one a phone's cursor from after the backup would look valid and the
phone would keep records the restore took away. The new epoch is written into a copy of the
backup *before* that copy replaces the live data: no moment exists when the restored data
answers with the old epoch.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from sync.restore import mark_restored

#: How long a restore waits for a writer to finish before copying (milliseconds).
BUSY_MS = 30_000


class BackupError(Exception):
    """What the operator must fix; the message says it in Vietnamese and English."""


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine, or None for any other database."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("Cơ sở dữ liệu trong bộ nhớ / an in-memory database has no file")
    return Path(name)


def _copy(source: Path, dest: Path, *, single_file: bool = False) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_MS / 1000)
    dst = sqlite3.connect(dest, timeout=BUSY_MS / 1000)
    try:
        src.backup(dst)
        if single_file:
            # The copy says "WAL" in its header like the live file; a backup is one file,
            # read later without leaving -wal and -shm files beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def backup(engine: Engine, dest: Path) -> None:
    """A consistent copy of the live database at ``dest`` (which must not exist)."""
    live = sqlite_file(engine)
    if live is None:
        raise BackupError("not SQLite")
    if dest.exists():
        raise BackupError(f"Tệp đã có / {dest} exists already; choose a new name")
    _copy(live, dest, single_file=True)


def _revision(path: Path) -> str:
    """The migration revision of a backup; refuses what is not a Sổ Đoàn database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"Tệp hỏng / {path} fails SQLite's integrity check")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"Không phải bản sao lưu Sổ Đoàn / {path} is not a Sổ Đoàn database ({exc})"
        ) from None
    if row is None:
        raise BackupError(f"Không phải bản sao lưu Sổ Đoàn / {path} has no migration revision")
    return str(row[0])


def restore(engine: Engine, source: Path) -> tuple[str, str]:
    """Replace the live database's contents with the backup at ``source``, under a new
    epoch. Returns the new epoch and the backup's migration revision."""
    live = sqlite_file(engine)
    if live is None:
        raise BackupError("not SQLite")
    if not source.is_file():
        raise BackupError(f"Không thấy tệp / no file {source}")
    revision = _revision(source)
    engine.dispose()  # this process's own connections: none may hold the file meanwhile
    with tempfile.TemporaryDirectory(dir=live.parent) as folder:
        staged = Path(folder) / "restoring.sqlite3"
        _copy(source, staged)
        stage = create_engine(f"sqlite:///{staged}")
        try:
            with Session(stage) as session:
                session.execute(text("SELECT 1"))
                epoch = mark_restored(session)
                session.commit()
            with stage.connect() as conn:  # one file again, before it is copied
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            stage.dispose()
        _copy(staged, live)
    return epoch, revision
