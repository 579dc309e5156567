"""The type-specific quantities of a table's rows as summable export columns.

On the page a type's quantities read as one cell ("Lớp học: 48 lớp; …"); a sheet needs
numbers it can add up, so an export has one column per quantity that occurs, headed with
its unit ("Lớp học (lớp)"), in the order first met. A row whose type does not ask for a
quantity is empty there (not 0: nothing was asked). The same code with another unit is
another column, so a column never adds up different units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

Amounts = Callable[[Any], list[tuple[dict, Any]]]


def amount(value: Any) -> Decimal | None:
    """A stored amount as a number; anything else as nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return Decimal(str(value))


def occurring(
    rows: Sequence[Any], amounts: Amounts
) -> list[tuple[str, Callable[[Any], Decimal | None], Callable[[Any], Decimal]]]:
    """(heading, the cell of a row, the column's total) of each quantity with an amount."""
    found: dict[tuple[str, str], dict] = {}
    for r in rows:
        for spec, value in amounts(r):
            if amount(value):
                found.setdefault((spec["code"], spec.get("unit_vi", "")), spec)
    out = []
    for key, spec in found.items():

        def read(r: Any, key: tuple[str, str] = key) -> Decimal | None:
            have = {(s["code"], s.get("unit_vi", "")): v for s, v in amounts(r)}
            return amount(have.get(key))

        def total(_: Any, read: Callable[[Any], Decimal | None] = read) -> Decimal:
            return sum((read(r) or Decimal(0) for r in rows), Decimal(0))

        unit = f" ({spec['unit_vi']})" if spec.get("unit_vi") else ""
        out.append((f"{spec['label_vi']}{unit}", read, total))
    return out
