"""The movement catalogue's shapes: the quantities an activity type asks for.

A quantity spec is plain data stored with the type, e.g.::

    {"code": "dossiers_land", "label_vi": "Hồ sơ đất đai", "label_en": "Land dossiers",
     "unit_vi": "hồ sơ", "unit_en": "dossiers", "kind": "count"}

``kind`` is ``count`` (a whole number), ``money_vnd`` (whole đồng) or ``decimal``
(one decimal place, e.g. tonnes or hectares).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import RAISE, Schema

from . import fields as f
from .errors import problem

QUANTITY_KINDS = ["count", "money_vnd", "decimal"]
#: No single activity plausibly counts more than this of anything (VND: 100 billion).
QUANTITY_MAX = {"count": 1_000_000, "money_vnd": 100_000_000_000, "decimal": 1_000_000}


class QuantitySpecSchema(Schema):
    class Meta:
        unknown = RAISE

    code = f.String(max_length=40, required=True, allow_blank=False)
    label_vi = f.String(max_length=120, required=True, allow_blank=False)
    label_en = f.String(max_length=120, required=True, allow_blank=False)
    unit_vi = f.String(max_length=40, load_default="")
    unit_en = f.String(max_length=40, load_default="")
    kind = f.OneOf(QUANTITY_KINDS, required=True)


@dataclass(frozen=True)
class TypeSpec:
    """What the schemas need to know of an activity type (no database object)."""

    code: str
    active: bool
    quantities: tuple[dict[str, Any], ...]


def check_quantities(values: Any, spec: TypeSpec) -> tuple[dict[str, Any], dict[str, list]]:
    """Validate an activity's quantities against its type; return (clean, errors by key)."""
    if not isinstance(values, dict):
        return {}, {"_schema": [problem("not_a_mapping")]}
    by_code = {q["code"]: q for q in spec.quantities}
    clean: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for code, raw in values.items():
        q = by_code.get(code)
        if q is None:
            errors[str(code)] = [problem("unknown_quantity", quantity=str(code))]
            continue
        if raw is None:
            continue
        kind = q["kind"]
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            errors[code] = [problem("not_a_number")]
            continue
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            errors[code] = [problem("not_a_number")]
            continue
        if not number.is_finite():
            errors[code] = [problem("not_a_number")]
        elif kind in ("count", "money_vnd") and number != number.to_integral_value():
            errors[code] = [problem("not_an_integer")]
        elif number < 0:
            errors[code] = [problem("too_small", min=0)]
        elif number > QUANTITY_MAX[kind]:
            errors[code] = [problem("too_large", max=QUANTITY_MAX[kind])]
        elif kind == "decimal":
            clean[code] = float(round(number, 1))
        else:
            clean[code] = int(number)
    return clean, errors
