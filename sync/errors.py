"""What the engine refuses, as codes the HTTP layer maps to statuses.

A refusal of the whole request (as opposed to one mutation's ``rejected`` answer) changes
nothing in the database.
"""

from __future__ import annotations

from typing import Any


class SyncRefusal(Exception):
    """The whole request is refused; nothing was applied."""

    code = "sync_refused"

    def __init__(self, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.details = details


class MutationGap(SyncRefusal):
    """A mutation number was skipped: applying later ones first would reorder the user's
    edits, so the device must send the missing one (``expected``) first."""

    code = "mutation_gap"


class MutationMismatch(SyncRefusal):
    """A mutation number already applied arrived with a different payload."""

    code = "mutation_mismatch"


class BadBatch(SyncRefusal):
    """The batch is malformed (numbers not ascending, unknown collection or op…)."""

    code = "bad_batch"


class ResyncRequired(SyncRefusal):
    """The cursor cannot be served; the device must push its outbox, then download its
    scope again from scratch. ``reason`` says why."""

    code = "resync_required"
