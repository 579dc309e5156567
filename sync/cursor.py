"""Opaque pull cursors: ``1.<epoch>.<change>.<scope>``.

Clients store and send them back untouched. The epoch (the first 8 characters of the
database's epoch) catches a cursor from another database or a restored one; the scope
tag catches a device whose user's scope has changed since.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ResyncRequired

_FORM = re.compile(r"^1\.([0-9a-f]{8})\.(\d{1,19})\.([0-9a-f]{8})$")


@dataclass(frozen=True)
class Cursor:
    epoch: str
    change: int
    scope: str

    def encode(self) -> str:
        return f"1.{self.epoch}.{self.change}.{self.scope}"


def epoch_tag(epoch: str) -> str:
    return epoch.replace("-", "")[:8]


def decode(raw: str) -> Cursor:
    match = _FORM.match(raw or "")
    if match is None:
        raise ResyncRequired("the cursor is not one this server made", reason="bad_cursor")
    return Cursor(match.group(1), int(match.group(2)), match.group(3))
