"""Writing the audit log: one call per decision worth remembering."""

from __future__ import annotations

import uuid
from typing import Any

from flask import has_request_context, request

from .extensions import db
from .models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None = None,
    device_id: uuid.UUID | None = None,
    target: tuple[str, Any] | None = None,
    **detail: Any,
) -> None:
    """Add an event to the caller's transaction (it is committed with what it records)."""
    db.session.add(
        AuditEvent(
            action=action,
            actor_id=actor.id if actor is not None else None,
            device_id=device_id,
            target_type=target[0] if target else None,
            target_id=str(target[1]) if target else None,
            detail=detail,
            address=request.remote_addr if has_request_context() else None,
        )
    )
