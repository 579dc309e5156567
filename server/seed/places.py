"""The Cao Bằng unit tree of the demo: who existed, where, and what changed.

The names and dates are in ``data/places.toml``, kept apart from the code so that someone
who knows the province can check and correct them without reading any; this module reads
them into the shapes :mod:`server.seed.demo` builds the tree from, and makes the codes.

What is real and what is not:

* **Real**: the province, its 10 district-level units of 2020–2025 (after Thông Nông merged
  into Hà Quảng, Trà Lĩnh into Trùng Khánh, and Phục Hòa with Quảng Uyên into Quảng Hòa,
  effective 01/03/2020) and their communes, wards and towns. The commune lists of Hà Quảng,
  Trùng Khánh, Bảo Lạc, Bảo Lâm, Quảng Hòa, Hạ Lang and the city follow the published
  2020–2025 lists; those of Hòa An, Nguyên Bình and Thạch An are from memory and may hold a
  name that only existed before the 2020 mergers. Border flags are best knowledge (Đức Hạnh
  is Bảo Lâm's only border commune; Hà Quảng's border communes follow the district's own
  description), not an official list.
* **Real hamlet names** (xóm) where marked ``# real hamlets``: Trường Hà, Xuân Hòa, Thông
  Nông, Trà Lĩnh (with its 2019 hamlet merges, simplified), the town of Bảo Lạc and the
  former xóm of Duyệt Trung. Every other hamlet name is **illustrative**: made from common
  Tày/Nùng place-name syllables (Nà = rice field, Pác = mouth, Khuổi = stream, Lũng =
  valley…), so it looks right but need not exist in that commune.
* **Real agencies** (Sở Tư pháp, Bệnh viện Đa khoa tỉnh, border posts Sóc Giang, Trà Lĩnh,
  Đàm Thủy, Tà Lùng, Đức Hạnh, …); the departments and teams that form their branches are
  illustrative.
* **Illustrative**: the whole 2025 reform below. The real reform made 56 commune-level units
  (53 communes, 3 wards) out of 161; this demo only merges a few communes per district, moves
  the rest under the province and closes the district unions, which is enough to show how
  the tree keeps its history. The new bloc and the department merge are modelled on what
  happened in 2025, not copied from the decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from schemas.text import fold

from . import load_data

XA, THI_TRAN, PHUONG = "xã", "thị trấn", "phường"


@dataclass(frozen=True)
class Commune:
    """A commune-level union. ``hamlets`` are full labels ("xóm Pác Bó") when known."""

    name: str
    level: str = XA
    border: bool = False
    hamlets: tuple[str, ...] = ()
    #: The name it had before :data:`TOWN_RENAME_ON`, if it was renamed then.
    former_name: str | None = None


@dataclass(frozen=True)
class Merge:
    """Commune unions folded into ``target`` on :data:`REFORM_ON` (illustrative)."""

    target: str
    sources: tuple[str, ...]
    new_name: str | None = None


@dataclass(frozen=True)
class District:
    code: str
    name: str
    communes: tuple[Commune, ...]
    merges: tuple[Merge, ...] = ()
    #: What branches of rural communes are called locally ("xóm" in most of Cao Bằng).
    hamlet_word: str = "xóm"


@dataclass(frozen=True)
class Agency:
    """A grassroots union of an agency, company or force, with its branches.

    ``sector`` steers which activities its branches record; ``home`` is the commune code a
    border post works in, so its activities happen there.
    """

    code: str
    name: str
    sector: str
    branches: tuple[str, ...] = ()
    subunions: tuple[Agency, ...] = ()
    border: bool = False
    home: str | None = None


@dataclass(frozen=True)
class Bloc:
    code: str
    name: str
    agencies: tuple[Agency, ...]
    branches: tuple[str, ...] = ()
    sector: str = "agency"


@dataclass(frozen=True)
class HamletMerge:
    """Branches of hamlets merged into a new hamlet's branch (real: Hùng Quốc, 09/09/2019)."""

    commune_code: str
    new_hamlet: str
    hamlets: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """A dated change to one grassroots union: merge into another, then maybe a new name."""

    on: date
    source: str
    target: str
    new_name: str | None = None


@dataclass(frozen=True)
class NewBloc:
    code: str
    name: str
    on: date
    moves: tuple[str, ...] = ()


def _commune(row: dict[str, Any]) -> Commune:
    return Commune(
        row["name"],
        row.get("level", XA),
        row.get("border", False),
        tuple(row.get("hamlets", ())),
        row.get("former_name"),
    )


def _district(row: dict[str, Any]) -> District:
    return District(
        row["code"],
        row["name"],
        tuple(_commune(c) for c in row["communes"]),
        tuple(Merge(m["target"], tuple(m["sources"]), m.get("new_name")) for m in row["merges"]),
        row.get("hamlet_word", "xóm"),
    )


def _agency(row: dict[str, Any]) -> Agency:
    return Agency(
        row["code"],
        row["name"],
        row["sector"],
        tuple(row.get("branches", ())),
        tuple(_agency(a) for a in row.get("subunions", ())),
        row.get("border", False),
        row.get("home"),
    )


_DATA = load_data("places")

PROVINCE_CODE: str = _DATA["province"]["code"]
PROVINCE_NAME: str = _DATA["province"]["name"]

#: Illustrative effective dates of the changes the demo replays.
HAMLET_MERGE_ON: date = _DATA["dates"]["hamlet_merge"]
TOWN_RENAME_ON: date = _DATA["dates"]["town_rename"]
DEPARTMENT_MERGE_ON: date = _DATA["dates"]["department_merge"]
REFORM_ON: date = _DATA["dates"]["reform"]

DISTRICTS: tuple[District, ...] = tuple(_district(d) for d in _DATA["districts"])
BLOCS: tuple[Bloc, ...] = tuple(
    Bloc(
        b["code"],
        b["name"],
        tuple(_agency(a) for a in b["agencies"]),
        tuple(b.get("branches", ())),
        b["sector"],
    )
    for b in _DATA["blocs"]
)
HAMLET_MERGES: tuple[HamletMerge, ...] = tuple(
    HamletMerge(m["commune"], m["new_hamlet"], tuple(m["hamlets"])) for m in _DATA["hamlet_merges"]
)
DEPARTMENT_CHANGES: tuple[Change, ...] = tuple(
    Change(DEPARTMENT_MERGE_ON, c["source"], c["target"], c.get("new_name"))
    for c in _DATA["department_changes"]
)
NEW_BLOCS: tuple[NewBloc, ...] = tuple(
    NewBloc(n["code"], n["name"], REFORM_ON, tuple(n["moves"])) for n in _DATA["new_blocs"]
)
# Syllables for illustrative hamlet names (Tày/Nùng style), see the module docstring.
_FIRST: tuple[str, ...] = tuple(_DATA["hamlet_syllables"]["first"])
_SECOND: tuple[str, ...] = tuple(_DATA["hamlet_syllables"]["second"])


def slug(name: str) -> str:
    """ASCII code fragment of a place name: "Trường Hà" → "TRUONGHA"."""
    return "".join(ch for ch in fold(name).upper() if ch.isalnum())


def district_code(district: District) -> str:
    return f"{PROVINCE_CODE}-{district.code}"


def commune_code(district: District, commune: Commune | str) -> str:
    name = commune if isinstance(commune, str) else commune.name
    return f"{district_code(district)}-{slug(name)}"


def commune_union_name(commune: Commune, *, former: bool = False) -> str:
    """ "Đoàn xã Trường Hà"; with ``former``, the name before :data:`TOWN_RENAME_ON`."""
    name = commune.former_name if former and commune.former_name else commune.name
    return f"Đoàn {commune.level} {name}"


def hamlet_labels(district: District, commune: Commune) -> tuple[str, ...]:
    """The places of a commune's branches: its real hamlets, else illustrative ones.

    Seeded by the commune's code, so the same commune always gets the same names.
    """
    if commune.hamlets:
        return commune.hamlets
    rng = random.Random(commune_code(district, commune))
    if commune.level == PHUONG:
        return tuple(f"tổ dân phố {n}" for n in sorted(rng.sample(range(1, 13), 3)))
    names: list[str] = []
    while len(names) < (1 if commune.level == THI_TRAN else 2):
        name = f"{district.hamlet_word} {rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if name not in names:
            names.append(name)
    if commune.level == THI_TRAN:
        return ("tổ dân phố 1", "tổ dân phố 2", *names)
    return tuple(names)


def branch_code(parent_code: str, index: int) -> str:
    """Branches are numbered within their union from 1, in the order listed here."""
    return f"{parent_code}-{index:02d}"


def branch_name(label: str) -> str:
    return f"Chi đoàn {label}"
