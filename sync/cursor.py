"""Opaque pull cursors: ``2.<epoch>.<change>.<generation>.<scope>.<token><mac>``.

Clients store and send them back untouched. Each part answers one question a pull must
settle before it serves anything after the cursor:

- ``epoch`` (8 hex, the start of the database's epoch): is this the same database? A
  ``restore`` makes a new epoch.
- ``change``: the last change number the device has.
- ``generation``: how many tombstone purges had moved the deletion horizon when the cursor
  was handed out. A cursor below the horizon is still good if no purge happened since (a
  full download hands out cursors below it: decision 90).
- ``scope`` (8 hex): what the user could see; another scope now means a resync.
- ``token`` (6 hex): the token of the numbering ``change`` belongs to
  (:func:`sync.changes.allocate`). After a restore from a backup the same numbers are given
  again with other tokens: a cursor from before no longer matches (decision 91).
- ``mac`` (8 hex): an HMAC of everything before it, keyed with the whole epoch (which never
  leaves the server), so a cursor altered anywhere is refused as ``bad_cursor`` rather than
  read as something else (decision 92).

Version 1 cursors (``1.<epoch>.<change>.<scope>``, from servers before this one) are still
read, with the checks they always had, and the answer carries a version 2 cursor.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from .errors import ResyncRequired

# Numbers as this server writes them: ASCII digits, no leading zero (``\d`` would take
# other scripts' digits, and "048" would MAC as "48"), change numbers within BIGINT.
_NUMBER = r"(0|[1-9][0-9]{0,18})"
_V1 = re.compile(rf"^1\.([0-9a-f]{{8}})\.{_NUMBER}\.([0-9a-f]{{8}})$")
_V2 = re.compile(
    rf"^2\.([0-9a-f]{{8}})\.{_NUMBER}\.(0|[1-9][0-9]{{0,8}})\.([0-9a-f]{{8}})"
    r"\.([0-9a-f]{6})([0-9a-f]{8})$"
)
#: The largest change number a database column holds (BIGINT, SQLite's INTEGER).
MAX_CHANGE = 2**63 - 1
#: A version 1 cursor's generation: older than any purge this server has counted.
V1_GENERATION = -1


@dataclass(frozen=True)
class Cursor:
    epoch: str
    change: int
    scope: str
    generation: int = V1_GENERATION
    token: str | None = None
    mac: str | None = None

    @property
    def version(self) -> int:
        return 1 if self.token is None else 2

    def _body(self) -> str:
        return f"2.{self.epoch}.{self.change}.{self.generation}.{self.scope}.{self.token}"

    def encode(self, secret: str) -> str:
        return self._body() + _mac(secret, self._body())

    def authentic(self, secret: str) -> bool:
        """True for a version 2 cursor this database made (a version 1 cursor has no MAC:
        the checks it always had are all there is)."""
        if self.mac is None:
            return True
        return hmac.compare_digest(self.mac, _mac(secret, self._body()))


def _mac(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:8]


def epoch_tag(epoch: str) -> str:
    return epoch.replace("-", "")[:8]


def decode(raw: str) -> Cursor:
    match = _V2.fullmatch(raw or "")
    if match is not None:
        epoch, change, generation, scope, token, mac = match.groups()
        if int(change) <= MAX_CHANGE:
            return Cursor(epoch, int(change), scope, int(generation), token, mac)
    match = _V1.fullmatch(raw or "")
    if match is not None and int(match.group(2)) <= MAX_CHANGE:
        return Cursor(match.group(1), int(match.group(2)), match.group(3))
    raise ResyncRequired("the cursor is not one this server made", reason="bad_cursor")
