"""What Alembic compares and how it writes migrations, shared by ``env.py`` and the tests
that prove the models and the migrations agree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.types import TypeDecorator

from sync.tables import metadata as sync_metadata

from .extensions import db


def target_metadata() -> list[MetaData]:
    from . import models  # noqa: F401  (registers every table on db.metadata)

    return [db.metadata, sync_metadata]


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types as the plain SQL types they store, so migrations never
    import application code that may later move or change."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{impl!r}"
    return False


CONFIGURE_ARGS: dict[str, Any] = {
    "compare_type": True,
    "compare_server_default": False,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    "render_as_batch": True,
    "render_item": render_item,
}
