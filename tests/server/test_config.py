"""Configuration from the environment, and refusing to start on unsafe settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ConfigError, from_environment

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first = from_environment({}, tmp_path)["SECRET_KEY"]
    second = from_environment({}, tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment({"SODOAN_ENV": "production"}, tmp_path)
    assert not (tmp_path / "secret_key").exists()
    cfg = from_environment({"SODOAN_ENV": "production", "SECRET_KEY": "k" * 50}, tmp_path)
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_under_instance(tmp_path):
    cfg = from_environment({}, tmp_path)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'sodoan.sqlite3'}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/x.db", "sqlite:////srv/x.db"),
    ],
)
def test_database_url_forms(tmp_path, raw, expected):
    assert from_environment({"DATABASE_URL": raw}, tmp_path)["SQLALCHEMY_DATABASE_URI"] == expected


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "sqlite or postgresql"),
        ({"SODOAN_ENV": "staging"}, "SODOAN_ENV"),
        ({"LOG_LEVEL": "LOUD"}, "log level"),
    ],
)
def test_bad_settings_are_named(tmp_path, env, needle):
    with pytest.raises(ConfigError, match=needle):
        from_environment(env, tmp_path)


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    return subprocess.run(
        args, cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def _assert_one_clear_line(proc: subprocess.CompletedProcess, needle: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("so-doan:")]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]


UNREACHABLE = "postgresql://sodoan@127.0.0.1:9/nothing"


def test_cli_refuses_production_without_secret(tmp_path):
    proc = _run(
        [str(BIN / "flask"), "--app", "server", "routes"],
        {"SODOAN_ENV": "production", "DATABASE_URL": "sqlite:////tmp/x.db"},
        tmp_path,
    )
    _assert_one_clear_line(proc, "SECRET_KEY")


def test_cli_names_an_unreachable_database(tmp_path):
    proc = _run(
        [str(BIN / "flask"), "--app", "server", "db", "upgrade"],
        {"DATABASE_URL": UNREACHABLE, "SECRET_KEY": "x" * 40},
        tmp_path,
    )
    _assert_one_clear_line(proc, "cannot reach the database")
    assert "127.0.0.1:9/nothing" in proc.stderr


def test_gunicorn_names_an_unreachable_database_and_exits(tmp_path):
    proc = _run(
        [str(BIN / "gunicorn"), "--preload", "-b", "127.0.0.1:0", "server:create_app()"],
        {"DATABASE_URL": UNREACHABLE, "SECRET_KEY": "x" * 40, "PYTHONPATH": str(ROOT)},
        tmp_path,
    )
    _assert_one_clear_line(proc, "cannot reach the database")


def test_gunicorn_without_preload_stops_instead_of_respawning(tmp_path):
    proc = _run(
        [str(BIN / "gunicorn"), "-b", "127.0.0.1:0", "server:create_app()"],
        {
            "SODOAN_ENV": "production",
            "DATABASE_URL": "sqlite:////tmp/x.db",
            "PYTHONPATH": str(ROOT),
        },
        tmp_path,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr
