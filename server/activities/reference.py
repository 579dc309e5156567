"""Read-only reference data a phone needs offline: its units, the catalogue, the phases.

Sent with a pull whenever its hash differs from the one the phone has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select

from ..extensions import db
from ..models import ActivityType, Phase, Pillar, Unit, User
from ..units.service import ancestor_ids, subtree_ids


def reference_for(user: User, below: Iterable[int] | None = None) -> tuple[str, dict[str, Any]]:
    """(hash, data) of the reference data for this user's devices. ``below``: the ids of
    the user's subtree when the caller has already read them (a pull has)."""
    subtree = subtree_ids(user.unit_id) if below is None else list(below)
    units = db.session.scalars(
        select(Unit)
        .where(or_(Unit.id.in_(subtree), Unit.id.in_(ancestor_ids(user.unit_id))))
        .order_by(Unit.depth, Unit.name_fold)
    ).all()
    pillars = db.session.scalars(select(Pillar).order_by(Pillar.sort_order)).all()
    types = db.session.scalars(select(ActivityType).order_by(ActivityType.sort_order)).all()
    phases = db.session.scalars(select(Phase).order_by(Phase.starts_on)).all()
    data = {
        "home_unit_id": user.unit_id,
        "units": [
            {
                "id": u.id,
                "code": u.code,
                "name": u.name,
                "kind": u.kind,
                "parent_id": u.parent_id,
                "border_area": u.border_area,
                "closed_on": u.closed_on.isoformat() if u.closed_on else None,
            }
            for u in units
        ],
        "pillars": [{"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en} for p in pillars],
        "activity_types": [
            {
                "code": t.code,
                "pillar": t.pillar.code,
                "name_vi": t.name_vi,
                "name_en": t.name_en,
                "quantities": t.quantities,
                "active": t.active,
            }
            for t in types
        ],
        "phases": [
            {
                "code": p.code,
                "name_vi": p.name_vi,
                "name_en": p.name_en,
                "starts_on": p.starts_on.isoformat(),
                "ends_on": p.ends_on.isoformat(),
            }
            for p in phases
        ],
    }
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return digest, {"hash": digest, **data}
