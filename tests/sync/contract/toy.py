"""A collection of the engine's own, for its contract suite: notes kept by teams.

Nothing of the app: no Flask, no activities, no users. A note has three fields a device
writes (``team``, ``title``, ``body``) and one the server owns (``edited_by``); a team
member reads and writes their team's notes. The rules are as small as the contract needs:
a missing or long title is invalid, another team's note is forbidden, a ``locked`` note
refuses changes, and the database itself refuses a body of ``"refuse me"`` (a CHECK
constraint), which only the engine's savepoint-per-mutation path can survive.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemas.errors import problem
from sync.collection import Collection, Loaded

TITLE_MAX = 100


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "toy_notes"
    __table_args__ = (CheckConstraint("body <> 'refuse me'", name="ck_toy_notes_body"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(String(1000), default="")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    edited_by: Mapped[str | None] = mapped_column(String(40))
    # The engine's bookkeeping (see sync.collection.Collection).
    version: Mapped[int] = mapped_column(Integer)
    field_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Member:
    """Whoever pushes: a name and a team (the scope it reads and writes)."""

    name: str
    team: str

    @property
    def key(self) -> str:
        return f"toy:{self.name}"


class Notes(Collection):
    name = "notes"
    model = Note
    fields = ("team", "title", "body")

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def _count(self, hook: str) -> None:
        self.calls[hook] = self.calls.get(hook, 0) + 1

    def load(self, record: Any, actor: Any) -> Loaded:
        self._count("load")
        errors: dict[str, Any] = {}
        title = record.get("title")
        if not isinstance(title, str) or not title:
            errors["title"] = [problem("required")]
        elif len(title) > TITLE_MAX:
            errors["title"] = [problem("too_long", max=TITLE_MAX)]
        unknown = set(record) - {"id", *self.fields}
        errors.update({k: [problem("unknown_field")] for k in sorted(unknown)})
        if errors:
            return Loaded(errors=errors)
        values = {"team": str(record.get("team") or ""), "title": title}
        values["body"] = str(record.get("body") or "")
        return Loaded(values, dict(values))

    def to_wire(self, obj: Note) -> dict[str, Any]:
        self._count("to_wire")
        return {"team": obj.team, "title": obj.title, "body": obj.body or "", "by": obj.edited_by}

    def check(
        self, actor: Member, existing: Note | None, values: dict | None, op: str
    ) -> dict | None:
        self._count("check")
        if existing is not None and existing.team != actor.team:
            return problem("forbidden")
        if values is not None and values["team"] != actor.team:
            return problem("forbidden")
        if existing is not None and existing.locked:
            return problem("record_verified")
        return None

    def write(self, obj: Note, values: dict, actor: Member, *, created: bool) -> None:
        self._count("write")
        for name in self.fields:
            if name in values:
                setattr(obj, name, values[name])
        obj.edited_by = actor.name

    def readable(self, actor: Member, obj: Note) -> bool:
        return obj.team == actor.team

    def visible(self, scope: str):
        return Note.team == scope
