"""The collections this app syncs, made fresh per request (they cache the catalogue)."""

from __future__ import annotations

from sync.collection import Registry

from .sync import ActivityCollection


def sync_registry() -> Registry:
    registry = Registry()
    registry.register(ActivityCollection())
    return registry


def activities_collection() -> ActivityCollection:
    """The activities collection alone, for the server's own changes of activities
    (:class:`sync.records.ServerChanges`)."""
    return ActivityCollection()
