"""Field-level merge: which of an upsert's changed fields apply, and which are kept as
conflicts (PROTOCOL §4, decisions 14–16).

A field whose current value the device has not seen keeps the server's value (first to
reach the server wins: server order, never phone clocks); the device's value is kept as a
conflict. The device has seen a field's value when the field last changed at or before
the version the device's record is really built on (:func:`seen_base`), or when that
change was the device's own mutation. A version the device itself produced is *not* proof
that it saw the rest of that version: a merge answer's copy is set aside by a device that
still has entries of the record waiting (PROTOCOL §5), so such a base counts only when
nothing else waited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .log import History


def seen_base(history: list[tuple[int, int | None, int, bool | None]], n: int, base: int) -> int:
    """The version mutation ``n``'s record is really built on.

    ``base`` is what the device sent; ``history`` the device's logged mutations of the
    record. When this device itself produced that version (mutation k) and k's answer
    carried the server's copy (a merge: fields the device had not sent), the device
    holds that copy only if no other entry of the record was waiting when the answer
    came: a waiting entry keeps the local state and sets the copy aside (PROTOCOL §5),
    though a client may still record the version. An entry made before the answer is
    recognisable: numbered after k, with a base below k's version. Then the device's
    record is built on what k was built on.
    """
    produced = {v: (hn, hb, copied) for hn, v, hb, copied in history if v is not None}
    while base and base in produced:
        kn, kbase, copied = produced[base]
        if kn >= n or copied is False:
            break  # the answer was exactly what the device sent: it holds that version
        if not any(kn < hn < n and hb < base for hn, _v, hb, _c in history):
            break
        n, base = kn, kbase
    return base


def unseen(
    fields: Iterable[str], existing: Any, history: History, record_id: Any, m: dict
) -> set[str]:
    """The fields whose current value mutation ``m``'s device has not seen: changed
    after the version its record is built on, by anything but its own mutations."""
    mine = history.of(record_id)
    own = {v for _n, v, _b, _c in mine if v is not None}
    base = int(m.get("base_version") or 0)
    if base > existing.version:
        # A version the server never reached (its database was restored from an older
        # copy, or the client is wrong): nothing is known of what the device saw, so it
        # counts as having seen none of it. Its differing values become conflicts that
        # people resolve, rather than overwriting blindly (decision 101).
        base = 0
    seen = seen_base(mine, m["n"], base)
    versions = existing.field_versions or {}
    out = set()
    for f in fields:
        changed_at = int(versions.get(f, existing.version))
        if changed_at > seen and changed_at not in own:
            out.add(f)
    return out


@dataclass
class Merge:
    """What an upsert of a stored record does, field by field."""

    #: Changed fields that take the device's value.
    apply: list[str] = field(default_factory=list)
    #: Changed fields the device had not seen: (field, server's value, device's value).
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: Some field the device had not seen (merged or conflicting).
    behind: bool = False

    @property
    def status(self) -> str:
        if self.conflicts:
            return "conflict"
        return "merged" if self.apply and self.behind else "applied"


def merge(changed: Iterable[str], incoming: dict, current: dict, behind: set[str]) -> Merge:
    """``incoming`` and ``current`` are the device's and the server's values in wire form;
    ``behind`` the fields the device has not seen (:func:`unseen`). A field sent with the
    value the server already has changes nothing."""
    out = Merge(behind=bool(behind))
    for f in changed:
        if incoming[f] == current[f]:
            continue
        if f in behind:
            out.conflicts.append((f, current[f], incoming[f]))
        else:
            out.apply.append(f)
    return out
