"""``flask --app server …`` commands: seeding, first-admin set-up, tombstones, backups."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .models import Role, Unit
from .people.service import PersonError, create_person
from .reports import worker


def register(app: Flask) -> None:
    app.cli.add_command(seed_catalogue_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(purge_tombstones_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(mark_restored_command)
    app.cli.add_command(prune_sync_log_command)
    app.cli.add_command(maintenance_command)
    app.cli.add_command(reclaim_evidence_command)
    app.cli.add_command(worker.command)


@click.command("seed-catalogue")
@with_appcontext
def seed_catalogue_command() -> None:
    """Add the movement's pillars, activity types and phases (safe in production)."""
    from .seed.catalogue import seed_catalogue

    added = seed_catalogue()
    db.session.commit()
    click.echo("Danh mục / catalogue: " + ", ".join(f"{k} +{v}" for k, v in added.items()))


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing if any unit exists already.")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the demo's 'last 12 months' end on (default: today).",
)
def seed_demo_command(if_empty: bool, today) -> None:
    """Build the deterministic Cao Bằng demo: tree, users of every role, activities."""
    if current_app.config["SODOAN_ENV"] == "production":
        raise click.ClickException(
            "Không nạp dữ liệu mẫu ở chế độ production / refusing demo data in production"
        )
    from .seed.demo import DEMO_PASSWORD, demo_logins, seed_demo

    if if_empty and db.session.scalar(select(func.count()).select_from(Unit)):
        click.echo("Đã có dữ liệu, bỏ qua dữ liệu mẫu / database not empty, demo skipped")
        return
    added = seed_demo(today.date() if today else date.today())
    db.session.commit()
    click.echo("Dữ liệu mẫu / demo data: " + ", ".join(f"{k} +{v}" for k, v in added.items()))
    click.echo(f"Tài khoản mẫu / demo logins (mật khẩu / password: {DEMO_PASSWORD}):")
    for username, role, unit in demo_logins():
        click.echo(f"  {username:<14} {role:<17} {unit}")


@click.command("create-user")
@with_appcontext
@click.option("--username", required=True, help="Login name, often a phone number.")
@click.option("--full-name", required=True)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option("--unit", "unit_code", required=True, help="Code of the user's home unit.")
@click.password_option(help="Asked for when not given.")
def create_user_command(
    username: str, full_name: str, role: str, unit_code: str, password: str
) -> None:
    """Create a user, e.g. the first admin of a new installation."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã {unit_code!r} / no unit with that code")
    try:
        user = create_person(
            actor=None,
            username=username,
            full_name=full_name,
            role=role,
            unit_id=unit.id,
            password=password,
        )
    except PersonError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Đã tạo / created {user.username} ({role}) @ {unit.name}")


def _horizon(days: int | None, setting: str) -> int:
    horizon = days if days is not None else current_app.config[setting]
    if horizon < 1:
        raise click.ClickException("--days phải ≥ 1 / must be at least 1")
    return horizon


def _purge_tombstones(days: int | None) -> None:
    from datetime import timedelta

    from sync.tombstones import purge

    from .activities.registry import sync_registry
    from .models.types import utcnow

    horizon = _horizon(days, "SYNC_TOMBSTONE_DAYS")
    count = purge(db.session(), sync_registry(), deleted_before=utcnow() - timedelta(days=horizon))
    db.session.commit()
    click.echo(
        f"Đã đưa {count} bản ghi xoá cũ hơn {horizon} ngày ra khỏi luồng thay đổi; không xoá"
        f" dòng nào / retired {count} deletions older than {horizon} days from the change"
        " feed (devices with an older cursor resync); no row was deleted"
    )


def _prune_sync_log(days: int | None) -> None:
    from datetime import timedelta

    from sync.log import prune

    from .models.types import utcnow

    horizon = _horizon(days, "SYNC_MUTATION_LOG_DAYS")
    count = prune(db.session(), before=utcnow() - timedelta(days=horizon))
    db.session.commit()
    click.echo(
        f"Đã bỏ câu trả lời của {count} thay đổi đã áp dụng cũ hơn {horizon} ngày; giữ nguyên"
        f" các thay đổi bị từ chối hoặc xung đột / dropped the answers of {count} applied"
        f" mutations older than {horizon} days (a retry of one is answered already_applied);"
        " refused and conflicting ones are kept whole"
    )


@click.command("purge-tombstones")
@click.option(
    "--days", type=int, default=None, help="Horizon in days (default: SYNC_TOMBSTONE_DAYS, 180)."
)
@with_appcontext
def purge_tombstones_command(days: int | None) -> None:
    """Retire deletions older than the horizon from the change feed: devices whose cursor
    is older download their scope again. No row is deleted: deleted ids are kept for
    good, so an old edit cannot bring one back (decision 47)."""
    _purge_tombstones(days)


@click.command("reclaim-evidence")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
@click.option(
    "--grace-seconds",
    type=int,
    default=3600,
    help="Leave stored files younger than this (an upload in progress; default 3600).",
)
@with_appcontext
def reclaim_evidence_command(dry_run: bool, grace_seconds: int) -> None:
    """Remove photo files no live evidence record names (their records or activities were
    deleted) and partial uploads of records deleted or complete (docs/OPERATIONS.md)."""
    from .evidence.uploads import reclaim

    done = reclaim(dry_run=dry_run, grace=grace_seconds)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {done['files']} stored file(s) and {done['partials']} partial upload(s)")


@click.command("prune-sync-log")
@click.option(
    "--days", type=int, default=None, help="Horizon in days (default: SYNC_MUTATION_LOG_DAYS, 90)."
)
@with_appcontext
def prune_sync_log_command(days: int | None) -> None:
    """Forget the stored answers of mutations applied before the horizon: the log stops
    growing with copies of records, and a retry that old is answered ``already_applied``
    (decision 102). Refused and conflicting entries stay whole, for staff."""
    _prune_sync_log(days)


def _pg_target() -> str:
    """The database as pg_dump and pg_restore name it (password hidden)."""
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=True)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH while the app runs (SQLite's online backup).
    On PostgreSQL, prints the pg_dump command to use instead and fails."""
    from .backup import BackupError, backup

    if db.engine.dialect.name != "sqlite":
        raise click.ClickException(
            "PostgreSQL: sao lưu bằng pg_dump / back up with pg_dump: "
            f"pg_dump --format=custom --file {path} '{_pg_target()}' (docs/OPERATIONS.md)"
        )
    try:
        backup(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Đã sao lưu vào / backed up to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH, under a new epoch: every phone
    then downloads its data again, after sending what it holds unsent."""
    from .backup import BackupError, restore

    if db.engine.dialect.name != "sqlite":
        raise click.ClickException(
            "PostgreSQL: khôi phục bằng pg_restore rồi chạy mark-restored / restore with "
            f"pg_restore --clean --if-exists --no-owner --dbname '{_pg_target()}' {path}, "
            "then run: flask --app server mark-restored (docs/OPERATIONS.md)"
        )
    if not yes:
        click.confirm(
            "Mọi thay đổi sau bản sao lưu sẽ mất trên máy chủ / everything written after "
            "this backup is lost on the server. Restore?",
            abort=True,
        )
    db.session.remove()
    try:
        epoch, revision = restore(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Đã khôi phục từ / restored from {path} (migration {revision}); kỷ nguyên mới / new"
        f" epoch {epoch[:8]}: every phone resyncs. If the backup is older than this version"
        " of the app, run: flask --app server db upgrade"
    )


@click.command("mark-restored")
@with_appcontext
def mark_restored_command() -> None:
    """Give the database a new epoch after it was restored by other means (pg_restore):
    every phone's cursor is then refused and the phone downloads its data again."""
    from sync.restore import mark_restored

    epoch = mark_restored(db.session())
    db.session.commit()
    click.echo(
        f"Kỷ nguyên mới / new epoch {epoch[:8]}: mọi điện thoại sẽ tải lại dữ liệu / every"
        " phone resyncs on its next pull"
    )


@click.command("maintenance")
@with_appcontext
def maintenance_command() -> None:
    """The daily chores, with the configured horizons: purge-tombstones, then
    prune-sync-log. One line for cron or a systemd timer."""
    _purge_tombstones(None)
    _prune_sync_log(None)
