"""The overview's charts as geometry for inline SVG (decision 30): no chart library, no
script, nothing inline the Content-Security-Policy would have to allow."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import pick
from .service import Overview


def _short(pillar: str) -> str:
    """A pillar's name on the chart's axis: "cộng đồng" for "Trách nhiệm với cộng đồng"."""
    for lead in ("Trách nhiệm với ", "Responsibility to "):
        pillar = pillar.removeprefix(lead)
    return pillar


def bars(values: list[tuple[str, float]], width: int = 640, height: int = 180) -> dict:
    """A column chart."""
    top = max((v for _, v in values), default=0) or 1
    n = max(1, len(values))
    slot = width / n
    out = []
    for i, (label, v) in enumerate(values):
        # 20 px under the columns for the months, 20 above the tallest for its value.
        h = round((height - 40) * v / top, 1)
        out.append(
            {
                "x": round(i * slot + slot * 0.15, 1),
                "y": round(height - 20 - h, 1),
                "w": round(slot * 0.7, 1),
                "h": h,
                "label": label,
                "value": v,
                "cx": round(i * slot + slot / 2, 1),
            }
        )
    return {"width": width, "height": height, "bars": out, "base": height - 20}


#: The type chart's labels end at ``label_w - 8``, right-aligned: a label longer than fits
#: ran off the chart's left edge. At the charts' 13 px, a Vietnamese character is at most
#: about 7.8 px wide, so 37 characters fit in 292 px; longer names are cut with "…" (the
#: whole name is in the label's tooltip).
LABEL_CHARS = 37
#: Room right of the longest bar for its value (up to six digits).
VALUE_W = 60


def hbars(
    values: list[tuple[str, float]], width: int = 640, row: int = 26, label_w: int = 300
) -> dict:
    """A horizontal bar chart, for long labels (activity types)."""
    top = max((v for _, v in values), default=0) or 1
    out = [
        {
            "y": i * row,
            "w": round((width - label_w - VALUE_W) * v / top, 1),
            "label": label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…",
            "full": label,
            "value": v,
        }
        for i, (label, v) in enumerate(values)
    ]
    return {"width": width, "height": max(row, row * len(out)), "bars": out, "x0": label_w}


@dataclass(frozen=True)
class Charts:
    trend: dict
    pillars: dict
    types: dict


def of(ov: Overview) -> Charts:
    """The overview's three charts: activities by month, by pillar and by type."""
    return Charts(
        trend=bars([(m[5:] + "/" + m[2:4], float(f.activities)) for m, f in ov.trend]),
        pillars=bars(
            [(_short(pick((p.name_vi, p.name_en))), float(f.activities)) for p, f in ov.by_pillar],
            width=420,
        ),
        types=hbars(
            [
                (pick((r.type.name_vi, r.type.name_en)), float(r.figures.activities))
                for r in ov.by_type
            ]
        ),
    )
