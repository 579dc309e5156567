"""What the app tells the engine about a collection it wants synced.

The engine moves records between phones and the database, numbers changes, merges field by
field and keeps conflicts; the app decides what a field means, who may write what, and
what a device may see. Both meet here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session


class Collection(ABC):
    """One synced collection.

    The model must have: ``id`` (UUID), ``version`` (int), ``change_seq`` (int),
    ``deleted_at`` (datetime or None) and ``field_versions`` (dict: field → version at
    which it last changed).
    """

    name: str
    model: type
    #: The fields a client may write, by their wire names.
    fields: tuple[str, ...]
    #: Columns a pull never needs (decoding them is wasted work on big downloads).
    pull_skips: tuple[str, ...] = ()
    #: A column holding :meth:`to_wire` already rendered as JSON. The app keeps it current
    #: on every write; a pull then sends it as it is instead of building each record.
    wire_column: str | None = None

    @abstractmethod
    def load(self, record: Any, actor: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate a whole record from the wire: (values by field, errors by field)."""

    @abstractmethod
    def field_to_wire(self, field: str, value: Any) -> Any:
        """One loaded value in its wire form (used to compare and to keep conflicts)."""

    @abstractmethod
    def get_field(self, obj: Any, field: str) -> Any:
        """The stored value of ``field`` in its wire form."""

    @abstractmethod
    def set_field(self, obj: Any, field: str, value: Any) -> None:
        """Store one loaded value."""

    @abstractmethod
    def to_wire(self, obj: Any) -> dict[str, Any]:
        """The record's fields as a device receives them (``id`` and ``version`` travel
        beside the record, never inside it)."""

    @abstractmethod
    def check(
        self, actor: Any, existing: Any | None, values: dict[str, Any] | None, op: str
    ) -> dict[str, Any] | None:
        """Permission and business rules: a problem (see :mod:`schemas.errors`) or None.

        ``op`` is ``create``, ``update``, ``delete`` or ``restore``. A problem for a record
        the actor may not see must not reveal that it exists.
        """

    def readable(self, actor: Any, obj: Any) -> bool:
        """Whether the actor may see this stored record (tombstones included).

        A delete of a record the actor may not see is answered exactly as a delete of an
        id nobody has, so the answer never tells whether a record exists elsewhere. The
        default, everything readable, suits a collection without read scopes.
        """
        return True

    @abstractmethod
    def stamp(self, obj: Any, actor: Any, created: bool, values: dict[str, Any]) -> None:
        """Record who changed it and when (server time), and anything derived."""

    @abstractmethod
    def visible(self, scope: Any) -> ColumnElement[bool]:
        """A filter on the model: the records a device with this scope may see."""

    def insert_new(self, session: Session, records: list[Any]) -> None:
        """Write the records a batch created (the server had none of these ids).

        ``records`` are plain attribute holders (:class:`sync.push.NewRecord`), filled by
        :meth:`set_field` and :meth:`stamp` and numbered by the engine (``id``,
        ``version``, ``change_seq``, ``field_versions``, ``deleted_at``). This default
        adds them to the ORM session, so the model's own hooks run at the next flush.
        A collection whose model has hooks may instead write them in one statement, and
        must then do by hand what those hooks do.
        """
        session.add_all(self.model(**vars(r)) for r in records)


class Registry:
    """The collections the engine serves, by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, Collection] = {}

    def register(self, collection: Collection) -> None:
        self._by_name[collection.name] = collection

    def get(self, name: str) -> Collection | None:
        return self._by_name.get(name)

    def __iter__(self):
        return iter(self._by_name.values())
