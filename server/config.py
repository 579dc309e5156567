"""Configuration from the environment.

Defaults suit a developer's laptop (SQLite under ``instance/``, a generated secret kept
there too); production (``SODOAN_ENV=production``) must say what it wants explicitly,
because a guessed secret or a throwaway database there would lose people's data.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A setting that makes the app unsafe or impossible to run; shown as one line."""


ENVIRONMENTS = ("development", "production")


def _database_uri(raw: str | None, instance_path: Path, name: str = "DATABASE_URL") -> str:
    if not raw:
        return f"sqlite:///{instance_path / 'sodoan.sqlite3'}"
    # Heroku-style URLs say postgres:// or postgresql://; we speak psycopg 3.
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"{name} không hợp lệ / is not a valid URL: {exc}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"{name} phải là sqlite hoặc postgresql / must be sqlite or postgresql, "
            f"not {url.get_backend_name()!r}"
        )
    return raw


def _secret_key(env: str, raw: str | None, instance_path: Path) -> str:
    if raw:
        return raw
    if env == "production":
        raise ConfigError(
            "SECRET_KEY chưa được đặt; không thể chạy ở chế độ production "
            "/ SECRET_KEY is required when SODOAN_ENV=production"
        )
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions: the key signs sessions.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _sentry_dsn(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        import sentry_sdk  # noqa: F401
    except ImportError:
        raise ConfigError(
            "SENTRY_DSN được đặt nhưng chưa cài sentry-sdk / SENTRY_DSN is set but sentry-sdk "
            "is not installed: pip install 'so-doan[monitoring]'"
        ) from None
    return raw


def _positive_int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} phải là số nguyên dương / must be a positive whole number")
    return int(raw)


def _redis_url(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    raw = raw.strip()
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            "REDIS_URL phải bắt đầu bằng redis://, rediss:// hoặc unix:// "
            "/ must start with redis://, rediss:// or unix://"
        )
    return raw


#: Settings of the Flask-Limiter days; refused rather than silently ignored.
RETIRED = {
    "SIGNIN_LIMIT_ACCOUNT": "SIGNIN_DELAY_AFTER, SIGNIN_DELAY_MAX_SECONDS",
    "SIGNIN_LIMIT_ADDRESS": "SIGNIN_ADDRESS_FAILURES, SIGNIN_WINDOW_MINUTES",
}


def _seconds(environ: dict[str, str], name: str, default: float) -> float:
    """A duration in seconds; 0 turns the limit off."""
    raw = environ.get(name, str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} phải là số giây (0 = tắt) / must be seconds (0 = off)")
    return value


def _non_negative_int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name, str(default)).strip()
    if not raw.isdigit():
        raise ConfigError(f"{name} phải là số nguyên ≥ 0 / must be a whole number ≥ 0")
    return int(raw)


def database_limits(environ: dict[str, str]) -> dict[str, float]:
    """How long a request may wait on the database (decisions 75, 76).

    Every limit is well under gunicorn's 30 s worker time-out and nginx's 60 s read time-out,
    so a hang ends as the app's own ``503 database_unavailable`` with ``Retry-After``, which
    the phone understands, instead of a killed worker or a proxy's 504.
    """
    limits = {
        # Establishing a connection (libpq connect_timeout; whole seconds, at least 2).
        "DATABASE_CONNECT_TIMEOUT": _seconds(environ, "DATABASE_CONNECT_TIMEOUT", 5),
        # One statement, on the server (statement_timeout): a runaway query.
        "DATABASE_STATEMENT_TIMEOUT": _seconds(environ, "DATABASE_STATEMENT_TIMEOUT", 10),
        # Waiting for a lock another transaction holds (lock_timeout).
        "DATABASE_LOCK_TIMEOUT": _seconds(environ, "DATABASE_LOCK_TIMEOUT", 5),
        # A session left idle inside its transaction, holding locks, is ended by PostgreSQL.
        "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": _seconds(
            environ, "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", 15
        ),
        # Waiting for any answer from PostgreSQL, on the app's side: a silent server or
        # network that no server-side limit can see. Longer than the statement time-out,
        # so a slow statement is cancelled cleanly by the server first.
        "DATABASE_ANSWER_TIMEOUT": _seconds(environ, "DATABASE_ANSWER_TIMEOUT", 15),
        # SQLite: how long a writer queues for the one write lock of the whole database.
        "SQLITE_BUSY_TIMEOUT": _seconds(environ, "SQLITE_BUSY_TIMEOUT", 15),
    }
    check_database_limits(limits)
    return limits


def check_database_limits(limits: dict[str, Any]) -> None:
    """Refuse an answer time-out that would cut statements the server is still running."""
    answer, statement = limits["DATABASE_ANSWER_TIMEOUT"], limits["DATABASE_STATEMENT_TIMEOUT"]
    if answer and (not statement or answer <= statement):
        raise ConfigError(
            "DATABASE_ANSWER_TIMEOUT phải dài hơn DATABASE_STATEMENT_TIMEOUT "
            "/ must be longer than DATABASE_STATEMENT_TIMEOUT (and that one set)"
        )


def evidence_settings(environ: dict[str, str], instance_path: Path) -> dict[str, Any]:
    """Where evidence photos are kept (docs/OPERATIONS.md, "Evidence photos"): a directory
    under ``instance/`` by default, or an S3-compatible bucket. The bucket's keys come from
    the environment only, never from a file in the repository."""
    kind = environ.get("EVIDENCE_STORAGE", "local").strip().lower()
    if kind not in ("local", "s3"):
        raise ConfigError(f"EVIDENCE_STORAGE phải là local hoặc s3 / must be local or s3: {kind}")
    bucket = environ.get("EVIDENCE_S3_BUCKET", "").strip()
    if kind == "s3" and not bucket:
        raise ConfigError("EVIDENCE_S3_BUCKET chưa được đặt / is required with EVIDENCE_STORAGE=s3")
    return {
        "EVIDENCE_STORAGE": kind,
        "EVIDENCE_DIR": environ.get("EVIDENCE_DIR") or str(instance_path / "evidence"),
        # Uploads in progress: appended chunk by chunk, fsynced, on local disk in any case.
        "EVIDENCE_UPLOAD_DIR": environ.get("EVIDENCE_UPLOAD_DIR")
        or str(instance_path / "evidence-uploads"),
        "EVIDENCE_S3_ENDPOINT_URL": environ.get("EVIDENCE_S3_ENDPOINT_URL") or None,
        "EVIDENCE_S3_BUCKET": bucket,
        "EVIDENCE_S3_PREFIX": environ.get("EVIDENCE_S3_PREFIX", ""),
        "EVIDENCE_S3_REGION": environ.get("EVIDENCE_S3_REGION") or "us-east-1",
        "EVIDENCE_S3_ACCESS_KEY_ID": environ.get("EVIDENCE_S3_ACCESS_KEY_ID") or None,
        "EVIDENCE_S3_SECRET_ACCESS_KEY": environ.get("EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
        # Per branch: stored sizes plus the declared sizes of uploads still to come.
        "EVIDENCE_QUOTA_BYTES": _positive_int(environ, "EVIDENCE_QUOTA_BYTES", 500 * 1024 * 1024),
    }


def from_environment(environ: dict[str, str], instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping; raises :class:`ConfigError` on unsafe settings."""
    for name, instead in RETIRED.items():
        if name in environ:
            raise ConfigError(
                f"{name} không còn được dùng, hãy dùng {instead} "
                f"/ is no longer read; use {instead} (see README)"
            )
    env = environ.get("SODOAN_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"SODOAN_ENV phải là một trong {ENVIRONMENTS} / must be one of them, not {env!r}"
        )
    level = environ.get("LOG_LEVEL", "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError(f"LOG_LEVEL không hợp lệ / invalid log level: {level!r}")
    production = env == "production"
    log_format = environ.get("LOG_FORMAT", "json" if production else "text").strip().lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT phải là json hoặc text / must be json or text: {log_format}")
    tombstone_days = _positive_int(environ, "SYNC_TOMBSTONE_DAYS", 180)
    return {
        "SYNC_TOMBSTONE_DAYS": tombstone_days,
        # Answers of applied mutations are kept this long for retries; older ones answer
        # already_applied. Refused and conflicting entries are kept while still needed.
        "SYNC_MUTATION_LOG_DAYS": _positive_int(environ, "SYNC_MUTATION_LOG_DAYS", 90),
        # The longest Retry-After of a database outage (it starts at 1-3 s and grows).
        "RETRY_AFTER_MAX_SECONDS": _positive_int(environ, "RETRY_AFTER_MAX_SECONDS", 60),
        # How many reverse proxies in front of the app add X-Forwarded-For/-Proto (nginx: 1).
        # 0 believes no such header: anyone could write one (decision 73).
        "TRUSTED_PROXIES": _non_negative_int(environ, "TRUSTED_PROXIES", 0),
        **database_limits(environ),
        # Failed sign-ins are counted where every process and machine sees them: the
        # database, or Redis when REDIS_URL is set (server/auth/throttle.py).
        "REDIS_URL": _redis_url(environ.get("REDIS_URL")),
        # Keys are prefixed, so one Redis can serve several installations.
        "REDIS_KEY_PREFIX": environ.get("REDIS_KEY_PREFIX", "sodoan:"),
        # Failures of one account from one address (or of one enrolment code) allowed
        # before each next attempt must wait 1, 2, 4 … seconds, at most the maximum.
        "SIGNIN_DELAY_AFTER": _positive_int(environ, "SIGNIN_DELAY_AFTER", 5),
        "SIGNIN_DELAY_MAX_SECONDS": _positive_int(environ, "SIGNIN_DELAY_MAX_SECONDS", 300),
        # Failures from one address, whatever the accounts, within the window.
        "SIGNIN_ADDRESS_FAILURES": _positive_int(environ, "SIGNIN_ADDRESS_FAILURES", 30),
        "SIGNIN_WINDOW_MINUTES": _positive_int(environ, "SIGNIN_WINDOW_MINUTES", 15),
        # A dashboard session left alone this long must sign in again.
        "SESSION_IDLE_MINUTES": _positive_int(environ, "SESSION_IDLE_MINUTES", 30),
        "SODOAN_ENV": env,
        "LOG_LEVEL": level,
        "LOG_FORMAT": log_format,
        # /metrics answers only with this bearer token (unset: no metrics page at all).
        "METRICS_TOKEN": environ.get("METRICS_TOKEN") or None,
        "SENTRY_DSN": _sentry_dsn(environ.get("SENTRY_DSN")),
        "SECRET_KEY": _secret_key(env, environ.get("SECRET_KEY"), instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_uri(environ.get("DATABASE_URL"), instance_path),
        # A read replica for the dashboard's reports (server/reports/source.py); unset: the
        # reports read the primary like everything else.
        "REPORTS_DATABASE_URL": (
            _database_uri(raw, instance_path, "REPORTS_DATABASE_URL")
            if (raw := environ.get("REPORTS_DATABASE_URL", "").strip())
            else None
        ),
        **evidence_settings(environ, instance_path),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Bounded request bodies everywhere; sync raises its own, smaller, limits.
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        # Phones on 2G pay for every byte: compress what is worth it. gzip is what every
        # client (and CompressionStream) speaks; brotli for browsers that ask for it.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 512,
        # flask-compress leaves a streamed file open when it compresses it, so streamed
        # answers go uncompressed: the field app's files are read into memory by
        # server/pwa.py, the dashboard's stylesheet by server/assets.py, and compressed
        # like any answer (revalidated by their ETag, 304).
        "COMPRESS_STREAMS": False,
        "COMPRESS_MIMETYPES": [
            "application/json",
            "text/html",
            "text/css",
            "application/javascript",
            "text/javascript",
            "application/manifest+json",
        ],
        # A database that cannot be reached is reported at start-up, not on first request.
        "SODOAN_PROBE_DATABASE": True,
    }
