"""All models, imported here so that Alembic and the app see one complete metadata."""

from .activities import STATUS_LABELS, Activity, ActivityStatus
from .audit import AuditEvent, EnrolmentCode
from .commendation import NOMINATION_KINDS, Nomination, nomination_activities
from .evidence import Evidence
from .movement import ActivityType, Phase, Pillar
from .people import ROLE_LABELS, Device, Role, User, normalise_username
from .reports import (
    ReportingSchedule,
    Target,
    report_deltas,
    report_dirty,
    report_quantities,
    report_totals,
)
from .units import (
    BEGINNING,
    UNIT_KIND_LABELS,
    Unit,
    UnitClosure,
    UnitEvent,
    UnitKind,
    UnitName,
)

__all__ = [
    "BEGINNING",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "UNIT_KIND_LABELS",
    "Activity",
    "ActivityStatus",
    "ActivityType",
    "AuditEvent",
    "EnrolmentCode",
    "Evidence",
    "Device",
    "Phase",
    "Pillar",
    "ReportingSchedule",
    "NOMINATION_KINDS",
    "Nomination",
    "nomination_activities",
    "Role",
    "Unit",
    "Target",
    "UnitClosure",
    "UnitEvent",
    "UnitKind",
    "UnitName",
    "User",
    "normalise_username",
    "report_deltas",
    "report_dirty",
    "report_quantities",
    "report_totals",
]
