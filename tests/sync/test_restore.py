"""Restores from a backup (issue 11 defect 2, issue 12 §6): every phone notices, resyncs,
keeps what it had not sent, and nothing the restore took away comes back.

SQLite is backed up and restored with the app's own commands; PostgreSQL with the real
``pg_dump`` and ``pg_restore`` (then ``mark-restored``, or without it: the cursor's
fingerprint alone must catch a change number handed out again).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from server.extensions import db
from server.models import Activity
from sync.cursor import decode
from tests import factories as f
from tests.fieldphone import FieldPhone, flask_transport
from tests.world import activity_record

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _pg_url(world) -> str:
    uri = world.app.config["SQLALCHEMY_DATABASE_URI"]
    return make_url(uri).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _pg_dump(world, path: Path) -> None:
    subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--file", str(path), _pg_url(world)],
        check=True,
        capture_output=True,
    )


def _pg_restore(world, path: Path) -> None:
    with world.app.app_context():
        db.session.remove()
        db.engine.dispose()
    subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _pg_url(world),
            str(path),
        ],
        check=True,
        capture_output=True,
    )


def _backup(world, runner, backend, path: Path) -> None:
    if backend.name == "postgresql":
        _pg_dump(world, path)
        return
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0 and "backed up to" in result.output, result.output


def _restore(world, runner, backend, path: Path) -> None:
    if backend.name == "postgresql":
        _pg_restore(world, path)
        result = runner.invoke(args=["mark-restored"])
        assert result.exit_code == 0 and "new epoch" in result.output, result.output
        return
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0 and "new epoch" in result.output, result.output


def _create(phone, unit_id: int, **changes) -> uuid.UUID:
    rid = uuid.uuid4()
    phone.push(phone.mutation("upsert", rid, activity_record(unit_id, **changes)))
    return rid


def _live_ids(world) -> set[str]:
    with world.app.app_context():
        rows = db.session.scalars(select(Activity.id).where(Activity.deleted_at.is_(None)))
        return {str(i) for i in rows}


@pytest.mark.postgresql_only
def test_a_change_number_handed_out_again_after_pg_restore_is_caught(world, backend, tmp_path):
    """Issue 11 defect 2, its exact story, with no ``mark-restored``: the restored database
    has its old epoch back, and only the cursor's fingerprint can tell."""
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only: a real pg_dump and pg_restore")
    b1 = world.ids["b1"]
    hoa, lan, other = world.phone("hoa"), world.phone("lan"), world.phone("hoa")
    _create(hoa, b1)
    lan.sync_down()
    dump = tmp_path / "before.dump"
    _pg_dump(world, dump)
    gone = _create(hoa, b1, title="Ghi sau bản sao lưu")
    lan.sync_down()
    assert str(gone) in lan.store
    _pg_restore(world, dump)
    again = _create(other, b1, title="Ghi sau khi khôi phục")
    with world.app.app_context():
        seq = db.session.scalar(select(Activity.change_seq).where(Activity.id == again))
    assert seq == decode(lan.cursor).change  # the same number, another change
    body = lan.pull(expect=409)
    assert (body["code"], body["reason"]) == ("resync_required", "history_changed")
    lan.cursor, lan.store = None, {}
    lan.sync_down()
    assert str(again) in lan.store and str(gone) not in lan.store


def _phone(world, username: str) -> FieldPhone:
    phone = FieldPhone(flask_transport(world.app.test_client()), username, f.PASSWORD)
    phone.sign_in()
    return phone


def test_a_restore_drill_every_phone_resyncs_and_keeps_what_waits(world, runner, backend, tmp_path):
    b1, b2 = world.ids["b1"], world.ids["b2"]
    hoa, lan, minh, staff = (_phone(world, u) for u in ("hoa", "lan", "minh", "canbo"))
    kept = [hoa.create(activity_record(b1, title=f"Của Hoa {i}")) for i in range(2)]
    kept += [minh.create(activity_record(b2, title=f"Của Minh {i}")) for i in range(2)]
    for phone in (hoa, minh, lan, staff):
        phone.sync()
    backup = tmp_path / ("backup.dump" if backend.name == "postgresql" else "backup.sqlite3")
    _backup(world, runner, backend, backup)

    # After the backup, sent and acknowledged: what the restore takes away.
    gone = hoa.create(activity_record(b1, title="Gửi sau bản sao lưu"))
    hoa.sync()
    minh.delete(kept[2])  # the restore brings this record back, as it was at the backup
    minh.sync()
    lan.sync()
    staff.sync()
    assert gone in lan.store and gone in staff.store and kept[2] not in staff.store

    # Typed and not yet sent when the restore happens.
    waiting = [
        hoa.create(activity_record(b1, title="Hoa chưa gửi")),
        minh.create(activity_record(b2, title="Minh chưa gửi")),
    ]
    lan.edit(kept[0], place="Nhà văn hoá xóm Nà Mạ")

    _restore(world, runner, backend, backup)
    for phone in (hoa, lan, minh, staff):
        phone.sync()
        assert phone.resyncs == 1, phone.username
        assert not phone.outbox and not phone.rejected, (phone.username, phone.rejected)

    live = _live_ids(world)
    assert live == set(kept) | set(waiting)  # every unsent entry stored, `gone` gone
    with world.app.app_context():
        edited = db.session.get(Activity, uuid.UUID(kept[0]))
        assert edited.place == "Nhà văn hoá xóm Nà Mạ"
    assert set(hoa.store) == set(lan.store) == {kept[0], kept[1], waiting[0]}
    assert set(minh.store) == {kept[2], kept[3], waiting[1]}
    assert set(staff.store) == live
    assert not any(gone in phone.store for phone in (hoa, lan, minh, staff))
    # And the polls after it are ordinary ones.
    for phone in (hoa, lan, minh, staff):
        phone.sync()
    cursors = [phone.cursor for phone in (hoa, lan, minh, staff)]
    for phone in (hoa, lan, minh, staff):
        phone.sync()
    assert [phone.cursor for phone in (hoa, lan, minh, staff)] == cursors
    assert [phone.resyncs for phone in (hoa, lan, minh, staff)] == [1, 1, 1, 1]


def test_the_backup_commands_refuse_what_they_cannot_do(world, runner, backend, tmp_path):
    if backend.name == "postgresql":
        # They say which PostgreSQL tool to use instead, and fail.
        backup = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
        assert backup.exit_code == 1 and "pg_dump --format=custom" in backup.output
        restore = runner.invoke(args=["restore", str(tmp_path / "x.dump"), "--yes"])
        assert restore.exit_code == 1 and "pg_restore" in restore.output
        assert "mark-restored" in restore.output
        return
    taken = tmp_path / "taken.sqlite3"
    assert runner.invoke(args=["backup", str(taken)]).exit_code == 0
    again = runner.invoke(args=["backup", str(taken)])
    assert again.exit_code == 1 and "exists already" in again.output
    stray = tmp_path / "notes.sqlite3"
    stray.write_bytes(b"not a database at all" * 100)
    refused = runner.invoke(args=["restore", str(stray), "--yes"])
    assert refused.exit_code == 1 and "is not a Sổ Đoàn database" in refused.output
    missing = runner.invoke(args=["restore", str(tmp_path / "none.sqlite3"), "--yes"])
    assert missing.exit_code == 1 and "no file" in missing.output
    # Nothing was touched: the phones' cursors are as good as before.
    lan = world.phone("lan")
    lan.sync_down()
    assert lan.pull()["changes"] == []
