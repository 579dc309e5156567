"""The collections this app syncs, made fresh per request (they cache the catalogue)."""

from __future__ import annotations

from sync.collection import Registry

from ..evidence.collection import EvidenceCollection
from .sync import ActivityCollection


def sync_registry() -> Registry:
    registry = Registry()
    activities = ActivityCollection()
    evidence = EvidenceCollection(activities)
    # Evidence names activities of the same batch; a deleted activity takes its photos.
    activities.evidence = evidence
    registry.register(activities)
    registry.register(evidence)
    return registry


def activities_collection() -> ActivityCollection:
    """The activities collection alone, for the server's own changes of activities
    (:class:`sync.records.ServerChanges`)."""
    return ActivityCollection()
