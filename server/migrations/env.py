"""Alembic environment: the app's engine, the app's metadata, our comparison options."""

from alembic import context
from flask import current_app

from server.migrating import CONFIGURE_ARGS, target_metadata

config = context.config


def _engine():
    return current_app.extensions["migrate"].db.engine


def run_migrations_offline() -> None:
    url = _engine().url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=target_metadata(), literal_binds=True, **CONFIGURE_ARGS
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(ctx, revision, directives):
        # `flask db migrate` with no model change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata(),
            process_revision_directives=skip_empty,
            **CONFIGURE_ARGS,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
