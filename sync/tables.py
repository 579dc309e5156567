"""The engine's own bookkeeping tables (the app's models know nothing of them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
JSONType = JSON().with_variant(JSONB(), "postgresql")

#: One row (id = 1): the last change number handed out; the database's epoch, a random id
#: made when the database was created (and made again by a restore), carried in cursors;
#: and the highest change number whose tombstones may have been purged (a cursor below it
#: can no longer be served, unless it was handed out after that purge: ``purge_generation``
#: counts the purges that moved the mark).
sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_change", BigInteger, nullable=False),
    Column("epoch", String(36), nullable=False),
    Column("purged_through", BigInteger, nullable=False, server_default="0"),
    Column("purge_generation", Integer, nullable=False, server_default="0"),
)

#: One row per numbering (a writing transaction's consecutive change numbers, ``first`` to
#: ``upto``): a random token a cursor carries for the number it points at. After a restore
#: from a backup, the numbers above the backup are handed out again with other tokens, so a
#: cursor from before the restore no longer matches (PROTOCOL §5).
sync_change_tokens = Table(
    "sync_change_tokens",
    metadata,
    Column("upto", BigInteger, primary_key=True, autoincrement=False),
    Column("first", BigInteger, nullable=False),
    Column("token", String(8), nullable=False),
)

#: Per device: the last mutation number applied. Locked for the length of a push, so two
#: tabs of one phone pushing at once are applied one after the other.
sync_devices = Table(
    "sync_devices",
    metadata,
    Column("device_id", Uuid(), primary_key=True),
    Column("last_mutation", BigInteger, nullable=False),
)

#: Every mutation ever applied, with its answer, so a retried batch gets the original
#: answers; the payload is kept in full (quarantine) when it was rejected or conflicted.
sync_mutations = Table(
    "sync_mutations",
    metadata,
    Column("device_id", Uuid(), primary_key=True),
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("payload_hash", String(64), nullable=False),
    Column("result", JSONType, nullable=False),
    Column("status", String(12), nullable=False),
    Column("collection", String(40), nullable=False),
    Column("record_id", Uuid(), nullable=False),
    # The record version this mutation produced (None when it changed nothing).
    Column("version", Integer),
    # The base_version the device sent, and whether the answer carried the server's copy
    # of the record (it differed from what was sent). Together they tell which versions
    # the device actually holds (see push._Applier._seen_base); None in rows logged
    # before they were kept, read as "unknown" (base 0, copy given).
    Column("base_version", Integer),
    Column("copied", Boolean),
    Column("actor", String(64), nullable=False),
    Column("payload", JSONType),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_sync_mutations_status", "status", "received_at"),
    Index("ix_sync_mutations_record", "device_id", "record_id", "version"),
)

#: Values that lost a merge, or an edit and a delete that crossed: kept for people to see
#: and resolve. Nothing a person typed is dropped.
sync_conflicts = Table(
    "sync_conflicts",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("collection", String(40), nullable=False),
    Column("record_id", Uuid(), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("field", String(40)),
    Column("server_value", JSONType),
    Column("client_value", JSONType),
    Column("base_version", Integer),
    Column("server_version", Integer, nullable=False),
    Column("device_id", Uuid(), nullable=False),
    Column("mutation_n", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(64)),
    Column("resolution", String(16)),
    Column("note", Text),
)
