"""What the app tells the engine about a collection it wants synced.

The engine moves records between phones and the database, numbers changes, merges field by
field and keeps conflicts; the app decides what a field means, who may write what, and
what a device may see. Both meet here, in a few coarse calls: a mutation costs the engine
``load``, ``check``, ``write`` and ``to_wire`` once (the stored record, compared with
what was sent), not one call per field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session


@dataclass
class Loaded:
    """A record from the wire, validated by its collection.

    ``values`` are what :meth:`Collection.write` stores; ``wire`` the same values as a
    device would receive them (what the engine compares with the stored record and keeps
    in a conflict); ``errors`` by field, non-empty when the record is refused.
    """

    values: dict[str, Any] = field(default_factory=dict)
    wire: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)


class Collection(ABC):
    """One synced collection.

    The model must have: ``id`` (UUID), ``version`` (int), ``change_seq`` (int),
    ``deleted_at`` (datetime or None) and ``field_versions`` (dict: field → version at
    which it last changed). The engine alone writes those five (:mod:`sync.records` for
    the server's own changes); the collection writes the rest.
    """

    name: str
    model: type
    #: The fields a client may write, by their wire names; merged one by one.
    fields: tuple[str, ...]
    #: Columns a pull never needs (decoding them is wasted work on big downloads).
    pull_skips: tuple[str, ...] = ()
    #: A column holding :meth:`to_wire` already rendered as JSON. The app keeps it current
    #: on every write; a pull then sends it as it is instead of building each record.
    wire_column: str | None = None
    #: Record fields a device may send, and name in ``changed``, that are never merged:
    #: the server's own, and those taken once when the record is created (the phone's
    #: clock). Named in ``changed`` they are ignored, not refused: a device that sends
    #: back what it received and names every field it holds must not lose its edit.
    unmerged: tuple[str, ...] = ()

    @abstractmethod
    def load(self, record: Any, actor: Any) -> Loaded:
        """Validate a whole record from the wire (``id`` included)."""

    @abstractmethod
    def to_wire(self, obj: Any) -> dict[str, Any]:
        """The stored record as a device receives it: each of :attr:`fields` in the form
        :meth:`load` gives it in :attr:`Loaded.wire`, and any the server owns. ``id`` and
        ``version`` travel beside the record, never inside it."""

    @abstractmethod
    def check(
        self, actor: Any, existing: Any | None, values: dict[str, Any] | None, op: str
    ) -> dict[str, Any] | None:
        """Permission and business rules: a problem (see :mod:`schemas.errors`) or None.

        ``op`` is ``create``, ``update``, ``delete`` or ``restore``. A problem for a record
        the actor may not see must not reveal that it exists.
        """

    @abstractmethod
    def write(self, obj: Any, values: dict[str, Any], actor: Any, *, created: bool) -> None:
        """Store loaded ``values`` (all of :attr:`fields` for a new record, those that
        change otherwise, none for a delete) and record who changed it and when (server
        time), and anything derived. ``values`` may hold more than the fields (what
        :meth:`load` returned, e.g. the phone's clock of a new record)."""

    def differs(self, sent: dict[str, Any], stored: dict[str, Any]) -> bool:
        """Whether the stored record, as a device receives it (:meth:`to_wire`), is not
        what the device sent: then the push answer carries it (PROTOCOL §3). A field left
        out counts as different; values compare as JSON values (:func:`same_json`). A
        collection with fields compared otherwise (instants) overrides this."""
        return any(f not in sent or not same_json(sent[f], stored.get(f)) for f in self.fields)

    def readable(self, actor: Any, obj: Any) -> bool:
        """Whether the actor may see this stored record (tombstones included).

        A delete of a record the actor may not see is answered exactly as a delete of an
        id nobody has, so the answer never tells whether a record exists elsewhere. The
        default, everything readable, suits a collection without read scopes.
        """
        return True

    @abstractmethod
    def visible(self, scope: Any) -> ColumnElement[bool]:
        """A filter on the model: the records a device with this scope may see."""

    def insert_new(self, session: Session, records: list[Any]) -> None:
        """Write the records a batch created (the server had none of these ids).

        ``records`` are plain attribute holders (:class:`sync.apply.NewRecord`), filled by
        :meth:`write` and numbered by the engine (``id``, ``version``, ``change_seq``,
        ``field_versions``, ``deleted_at``). This default adds them to the ORM session, so
        the model's own hooks run at the next flush. A collection whose model has hooks
        may instead write them in one statement, and must then do by hand what those
        hooks do.
        """
        session.add_all(self.model(**vars(r)) for r in records)


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: numbers by value (``7`` and ``7.0`` are one number), strings
    character for character (NFD and NFC spellings differ), ``true`` never ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


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
