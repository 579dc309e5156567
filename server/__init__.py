"""Sổ Đoàn server: the Flask app factory.

Gunicorn and the Procfile call ``server:create_app()``; ``flask --app server …`` finds it too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import inputs, security
from .activities import submission, wire
from .auth import throttle
from .config import ConfigError, check_database_limits, from_environment
from .database import NO_REQUEST_LIMITS, describe, engine_options, guard, probe
from .extensions import compress, csrf, db, migrate
from .observability import logs
from .reports import deltas, source

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Exit status for a configuration the app cannot run with. Gunicorn treats 4 as "the app
# failed to load" and stops instead of respawning workers in a loop.
EXIT_CONFIG = 4


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, or from ``test_config`` laid over safe defaults."""
    app = Flask(__name__, instance_relative_config=True)
    try:
        _configure(app, test_config)
        throttle.init_app(app)
        source.init_app(app)
    except ConfigError as exc:
        if test_config is not None:
            raise
        _die(str(exc))

    # JSON in UTF-8, not \uXXXX escapes: Vietnamese text is half the size on the wire.
    app.json.ensure_ascii = False
    _register_model_hooks()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # The address and scheme the phone used, as the trusted proxies saw them: sign-in
        # limits and the audit log then count phones, not the proxy (decision 73).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    db.init_app(app)
    with app.app_context():
        guard(db.engine, app.config)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    security.register_before_compression(app)
    compress.init_app(app)

    from . import api, assets, cli, errors, formatting, i18n, observability, pwa
    from .auth import views as auth_views
    from .evidence import views as evidence_views
    from .health import views as health_views
    from .people import views as people_views
    from .reports import views as report_views
    from .review import views as review_views
    from .units import views as unit_views

    inputs.register_converters(app)
    inputs.register(app)
    app.register_blueprint(health_views.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(people_views.bp)
    app.register_blueprint(unit_views.bp)
    app.register_blueprint(review_views.bp)
    app.register_blueprint(report_views.bp)
    evidence_views.register(app)
    app.register_blueprint(pwa.bp)
    assets.register(app)
    api.register(app)
    errors.register(app)
    formatting.register(app)
    i18n.init_app(app)
    security.register(app)
    cli.register(app)
    observability.register(app)
    return app


def _register_model_hooks() -> None:
    """What every ORM write of an activity does besides itself, attached here rather than
    by importing a module for its side effects (decision 59). The hooks are global to
    the models, not to one app; each ``register`` is safe to call again."""
    submission.register()  # stamps when an entry was first sent up
    wire.register()  # renders the record as phones receive it
    deltas.register()  # records report deltas, and marks the pairs of tree moves


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    instance = Path(app.instance_path)
    if test_config is None:
        app.config.from_mapping(from_environment(os.environ, instance))
    else:
        environ = {"SECRET_KEY": "testing-secret-not-for-production"}
        app.config.from_mapping(from_environment(environ, instance))
        app.config["SODOAN_PROBE_DATABASE"] = False
        app.config.from_mapping(test_config)
    if test_config is None and click.get_current_context(silent=True) is not None:
        # A `flask …` command (migrations, rebuilds, purges): no request limits (decision 76).
        app.config.update(NO_REQUEST_LIMITS)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    check_database_limits(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(uri, app.config))
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.logger.setLevel(app.config["LOG_LEVEL"])

    if app.config["SODOAN_PROBE_DATABASE"]:
        reason = probe(uri, app.config)
        if reason is not None:
            raise ConfigError(
                f"Không kết nối được cơ sở dữ liệu / cannot reach the database "
                f"{describe(uri)}: {reason}"
            )


def _die(message: str) -> None:
    """One clear line and a non-zero exit: people read this, not a stack trace."""
    print(f"so-doan: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_CONFIG)
