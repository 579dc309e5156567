"""Sorting a report's table on the server, from ``sort`` and ``dir`` in the URL.

Headings are links (no script): a page sorted by a column links its heading to the other
direction, every other heading to its own column. A key the table does not know, or a
direction other than ``asc``/``desc``, gives the table's own order (decision 176). Rows
equal on the key stay in name order, in both directions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import request, url_for
from flask_babel import gettext as _

T = TypeVar("T")


def kept_args(*dropped: str) -> dict[str, str]:
    """The page's query, for a link to the same page: without ``dropped``, the path's own
    arguments, or what ``url_for`` would read as its options (``_external``, ``_anchor``…;
    ``endpoint``): a query may hold anything, and a link must not fail (a 500) or point
    elsewhere because of it."""
    taken = set(dropped) | set(request.view_args or {}) | {"endpoint", "values"}
    return {k: v for k, v in request.args.items() if k not in taken and not k.startswith("_")}


@dataclass(frozen=True)
class Sorting:
    #: The column sorted by; None: the table's own order.
    key: str | None
    desc: bool
    #: Columns whose first click sorts the largest first (figures, dates of last sync).
    largest_first: frozenset[str] = frozenset()

    @classmethod
    def from_request(cls, keys: Iterable[str], largest_first: Iterable[str] = ()) -> Sorting:
        key = request.args.get("sort")
        if key not in set(keys):
            return cls(None, False, frozenset(largest_first))
        return cls(key, request.args.get("dir") == "desc", frozenset(largest_first))

    def aria(self, key: str) -> str | None:
        """The heading's ``aria-sort``, when the table is sorted by it."""
        if key != self.key:
            return None
        return "descending" if self.desc else "ascending"

    def href(self, key: str) -> str:
        """The heading's link: this page, sorted by ``key`` (turned round if it already is)."""
        desc = (not self.desc) if key == self.key else key in self.largest_first
        args = kept_args("sort", "dir", "page")
        args["sort"] = key
        if desc:
            args["dir"] = "desc"
        return url_for(request.endpoint or "", **(request.view_args or {}), **args)

    def apply(
        self, rows: Iterable[T], keys: Mapping[str, Callable[[T], Any]], name: Callable[[T], str]
    ) -> list[T]:
        """``rows`` as given when no key is asked for; else in name order, then stably by
        the key, rows without a value (None) last in either direction."""
        if self.key is None:
            return list(rows)
        ordered = sorted(rows, key=name)
        read = keys[self.key]
        known = [r for r in ordered if read(r) is not None]
        unknown = [r for r in ordered if read(r) is None]
        return sorted(known, key=read, reverse=self.desc) + unknown


# -- who has reported ---------------------------------------------------------------------

#: Reported on time, late; then not reported, from the most to the least reachable.
STATE_ORDER = ("on_time", "late", "waiting", "not_due", "silent", "no_device", "none")
BRANCH_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": lambda b: b.unit.name_fold,
    "parent": lambda b: b.parent.name_fold if b.parent else None,
    "activities": lambda b: b.activities,
    "state": lambda b: STATE_ORDER.index(b.state) if b.state in STATE_ORDER else len(STATE_ORDER),
    "sync": lambda b: b.last_sync,
}
BRANCH_LARGEST_FIRST = ("activities", "sync")


@dataclass
class Group:
    """The branches under one unit below the unit in view, with its counts."""

    id: int
    head: str | None  # None: the branches are not grouped
    rows: list[Any]


def branch_groups(c: Any, sorting: Sorting, missing_only: bool) -> list[Group]:
    """The branches of a :class:`~server.reports.completeness.Completeness`, grouped by
    the unit below the one in view (a district's communes, a province's districts) when
    that unit is not the branch itself; each group headed by its counts and rate, which
    count every branch even when only those that have not reported are shown."""
    rows = sorting.apply(c.branches, BRANCH_KEYS, lambda b: b.unit.name_fold)
    if missing_only:
        rows = [b for b in rows if not b.reported]
    if all(b.child_id == b.unit.id for b in c.branches):
        return [Group(c.unit.id, None, rows)] if rows else []
    groups = []
    for child in c.children:
        mine = [b for b in rows if b.child_id == child.unit.id]
        if mine:
            head = _(
                "%(unit)s · %(reported)s/%(expected)s đã báo cáo (%(rate)s%%)"
                " · %(on_time)s đúng hạn",
                unit=child.unit.name,
                reported=child.reported,
                expected=child.expected,
                rate=child.rate,
                on_time=child.on_time,
            )
            groups.append(Group(child.unit.id, head, mine))
    return groups


# -- the units below ----------------------------------------------------------------------

UNIT_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": lambda r: r.unit.name_fold if r.unit else r.label,
    "activities": lambda r: r.figures.activities,
    "verified": lambda r: r.figures.verified,
    "members": lambda r: r.figures.members,
    "citizens": lambda r: r.figures.citizens,
    "hours": lambda r: r.figures.hours,
    "share": lambda r: r.share,
    "verified_rate": lambda r: r.verified_rate,
    "unproven": lambda r: r.figures.unproven,
    "unproven_rate": lambda r: r.unproven_rate,
}
UNIT_LARGEST_FIRST = tuple(k for k in UNIT_KEYS if k != "name")
