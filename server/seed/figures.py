"""The figures of one demo activity: its quantities and the people it served, drawn so
that they fit its title, its members and its year (rules in ``data/activities.toml``)."""

from __future__ import annotations

import random
from typing import Any

from ..models import ActivityType
from . import load_data

_DATA = load_data("activities")
QUANTITIES: dict[str, dict[str, Any]] = _DATA["quantities"]
#: People served by one activity of a type, when its quantities do not say.
CITIZENS: dict[str, tuple[int, int]] = {
    code: (low, high) for code, (low, high) in _DATA["citizens"].items()
}


def quantities(
    rng: random.Random,
    activity_type: ActivityType,
    title: str,
    members: int,
    days: int,
    year: int,
) -> dict[str, int | float]:
    """Every quantity the type asks for, with values that fit the title and the year."""
    out: dict[str, int | float] = {}
    lowered = title.lower()
    for spec in activity_type.quantities or []:
        code, kind = spec.get("code"), spec.get("kind", "count")
        if not code:
            continue
        rule = QUANTITIES.get(code, {})
        value: int | float
        if "hint" in rule and rule["hint"] not in lowered:
            value = 0.0 if kind == "decimal" else 0
        elif code == "certificates":
            value = rng.randint(max(1, members // 2), members)
        elif code == "work_days":
            value = members * days
        elif code == "gifts":
            value = out.get("families_visited") or rng.randint(5, 60)
        elif code == "gift_value_vnd":
            gifts = int(out.get("gifts") or rng.randint(5, 60))
            value = gifts * rng.choice((100, 150, 200, 250, 300, 500)) * 1000
        elif "fixed" in rule:
            value = rule["fixed"]
        elif year < rule.get("from_year", 0):
            value = 0
        elif "randint" in rule:
            value = rng.randint(*rule["randint"]) * rule.get("times", 1)
        elif "uniform" in rule:
            value = round(rng.uniform(*rule["uniform"]), 1)
        elif kind == "money_vnd":
            value = rng.randint(1, 50) * 100_000
        elif kind == "decimal":
            value = round(rng.uniform(0.2, 3.0), 1)
        else:
            value = rng.randint(0, 20)
        out[code] = value
    return out


def citizens(rng: random.Random, type_code: str, quantities: dict[str, int | float]) -> int:
    """People served, from the quantities when they say (dossiers, check-ups, children…)."""
    if type_code == "thu_bay_tinh_nguyen":
        served = sum(int(v) for k, v in quantities.items() if k.startswith("dossiers_"))
        served += int(quantities.get("legal_advice", 0)) + rng.randint(0, 20)
    elif type_code == "ky_nghi_hong":
        helped = (int(quantities.get(k, 0)) for k in ("health_checks", "e_id", "online_services"))
        served = max(helped, default=0) + rng.randint(10, 80)
    elif type_code == "thieu_nhi":
        served = int(quantities.get("children", 0)) or rng.randint(20, 150)
    elif type_code == "den_on_dap_nghia":
        served = int(quantities.get("families_visited", 0)) * 3 or rng.randint(2, 30)
    else:
        low, high = CITIZENS.get(type_code, (0, 0))
        served = rng.randint(low, high)
    return min(served, 300)
