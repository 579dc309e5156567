"""The demo's unit tree: its units by code, made from :mod:`server.seed.places`, and the
dated changes replayed on it (hamlet merges, renames, the 2025 reform), each skipped when
already made, so that running the seed twice adds nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from ..extensions import db
from ..models import BEGINNING, Unit, UnitClosure, UnitEvent, UnitKind, UnitName
from ..units.service import close_unit, create_unit, merge_unit, move_unit, rename_unit
from . import places


class Tree:
    """The demo's units by code, creating the missing ones as the places data says."""

    def __init__(self) -> None:
        code = Unit.code
        query = select(Unit).where(or_(code == places.PROVINCE_CODE, code.startswith("CB-")))
        self.units: dict[str, Unit] = {u.code: u for u in db.session.scalars(query)}
        self.created = 0
        #: Branch code → what kind of body it belongs to (steers its activities).
        self.sector: dict[str, str] = {}
        #: Border post branch code → code of the commune it works in.
        self.home: dict[str, str] = {}
        self.communes: dict[str, tuple[places.District, places.Commune]] = {}
        self.subunions: set[str] = set()

    def ensure(
        self,
        code: str,
        name: str,
        kind: UnitKind,
        parent: Unit | None,
        border: bool = False,
        opened_on: date = BEGINNING,
    ) -> Unit:
        unit = self.units.get(code)
        if unit is None:
            unit = create_unit(
                code=code,
                name=name,
                kind=kind,
                parent=parent,
                border_area=border,
                opened_on=opened_on,
            )
            self.units[code] = unit
            self.created += 1
        return unit

    def build(self) -> None:
        province = self.ensure(places.PROVINCE_CODE, places.PROVINCE_NAME, UnitKind.PROVINCE, None)
        for district in places.DISTRICTS:
            d_unit = self.ensure(
                places.district_code(district), district.name, UnitKind.DISTRICT, province
            )
            for commune in district.communes:
                code = places.commune_code(district, commune)
                self.communes[code] = (district, commune)
                c_unit = self.ensure(
                    code,
                    places.commune_union_name(commune, former=True),
                    UnitKind.COMMUNE,
                    d_unit,
                    commune.border,
                )
                for index, label in enumerate(places.hamlet_labels(district, commune), 1):
                    b_code = places.branch_code(code, index)
                    self.ensure(
                        b_code, places.branch_name(label), UnitKind.BRANCH, c_unit, commune.border
                    )
                    self.sector[b_code] = "commune"
        for bloc in places.BLOCS:
            b_unit = self.ensure(bloc.code, bloc.name, UnitKind.BLOC, province)
            self._branches(bloc.code, bloc.branches, b_unit, bloc.sector, False)
            for agency in bloc.agencies:
                self._agency(agency, b_unit)
        # Units that history creates later still need to be known to the activity planner.
        for merge in places.HAMLET_MERGES:
            self.sector[self.hamlet_merge_code(merge)] = "commune"

    def _agency(self, agency: places.Agency, parent: Unit, sub: bool = False) -> None:
        unit = self.ensure(agency.code, agency.name, UnitKind.GRASSROOTS, parent, agency.border)
        if sub:
            self.subunions.add(agency.code)
        self._branches(agency.code, agency.branches, unit, agency.sector, agency.border)
        if agency.home:
            for index in range(1, len(agency.branches) + 1):
                self.home[places.branch_code(agency.code, index)] = agency.home
        for child in agency.subunions:
            self._agency(child, unit, sub=True)

    def _branches(
        self, parent_code: str, names: tuple[str, ...], parent: Unit, sector: str, border: bool
    ) -> None:
        for index, name in enumerate(names, 1):
            code = places.branch_code(parent_code, index)
            self.ensure(code, name, UnitKind.BRANCH, parent, border)
            self.sector[code] = sector

    def hamlet_merge_code(self, merge: places.HamletMerge) -> str:
        """New hamlets' branches are numbered after the commune's original ones."""
        district, commune = self.communes[merge.commune_code]
        same_commune = [m for m in places.HAMLET_MERGES if m.commune_code == merge.commune_code]
        index = len(places.hamlet_labels(district, commune)) + same_commune.index(merge) + 1
        return places.branch_code(merge.commune_code, index)

    def hamlet_code(self, commune_code: str, label: str) -> str:
        district, commune = self.communes[commune_code]
        index = places.hamlet_labels(district, commune).index(label) + 1
        return places.branch_code(commune_code, index)


def _done(unit: Unit, action: str, on: date) -> bool:
    """Whether this dated change was already recorded (the story of the tree says so)."""
    found = db.session.scalar(
        select(UnitEvent.id).where(
            UnitEvent.unit_id == unit.id, UnitEvent.action == action, UnitEvent.effective_on == on
        )
    )
    return found is not None


def replay_history(tree: Tree, today: date) -> int:
    """Make the dated changes that are due by ``today`` and not made yet, oldest first.

    Oldest first because the service refuses a change dated before the last change of the
    units it touches.
    """
    units = tree.units
    changes = 0

    if places.HAMLET_MERGE_ON <= today:
        for merge in places.HAMLET_MERGES:
            commune = units[merge.commune_code]
            target = tree.ensure(
                tree.hamlet_merge_code(merge),
                places.branch_name(merge.new_hamlet),
                UnitKind.BRANCH,
                commune,
                commune.border_area,
                places.HAMLET_MERGE_ON,
            )
            for label in merge.hamlets:
                source = units[tree.hamlet_code(merge.commune_code, label)]
                if source.closed_on is None:
                    merge_unit(source, target, places.HAMLET_MERGE_ON)
                    changes += 1

    if places.TOWN_RENAME_ON <= today:
        for code, (_district, commune) in tree.communes.items():
            unit = units[code]
            if commune.former_name and not _done(unit, "renamed", places.TOWN_RENAME_ON):
                rename_unit(unit, places.commune_union_name(commune), places.TOWN_RENAME_ON)
                changes += 1

    for change in places.DEPARTMENT_CHANGES:
        if change.on > today:
            continue
        source, target = units[change.source], units[change.target]
        if source.closed_on is None:
            merge_unit(source, target, change.on)
            changes += 1
        if change.new_name and not _done(target, "renamed", change.on):
            rename_unit(target, change.new_name, change.on)
            changes += 1

    if places.REFORM_ON <= today:
        changes += _reform(tree)
    return changes


def _reform(tree: Tree) -> int:
    """The illustrative 2025 reform: merge some communes, lift all to the province, close
    the districts, open a new bloc and move agencies into it."""
    on = places.REFORM_ON
    units = tree.units
    province = units[places.PROVINCE_CODE]
    changes = 0
    for district in places.DISTRICTS:
        for merge in district.merges:
            target = units[places.commune_code(district, merge.target)]
            for name in merge.sources:
                source = units[places.commune_code(district, name)]
                if source.closed_on is None:
                    merge_unit(source, target, on)
                    changes += 1
            if merge.new_name and not _done(target, "renamed", on):
                rename_unit(target, merge.new_name, on)
                changes += 1
        for commune in district.communes:
            unit = units[places.commune_code(district, commune)]
            if unit.closed_on is None and unit.parent_id != province.id:
                move_unit(unit, province, on)
                changes += 1
        d_unit = units[places.district_code(district)]
        if d_unit.closed_on is None:
            close_unit(d_unit, on)
            changes += 1
    for new in places.NEW_BLOCS:
        bloc = tree.ensure(new.code, new.name, UnitKind.BLOC, province, opened_on=new.on)
        for code in new.moves:
            unit = units[code]
            if unit.closed_on is None and unit.parent_id != bloc.id:
                move_unit(unit, bloc, new.on)
                changes += 1
    return changes


@dataclass
class _Interval:
    unit_id: int
    start: date
    end: date | None  # exclusive

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class History:
    """The tree's past, loaded once, so that an activity's wording and place follow the tree
    as it was on its date (a 2016 activity of a merged commune says the old name)."""

    def __init__(self, unit_ids: set[int]) -> None:
        self.names: dict[int, list[tuple[date, date | None, str]]] = defaultdict(list)
        for row in db.session.execute(
            select(UnitName.unit_id, UnitName.valid_from, UnitName.valid_to, UnitName.name)
        ):
            if row.unit_id in unit_ids:
                self.names[row.unit_id].append((row.valid_from, row.valid_to, row.name))
        self.parents: dict[int, list[_Interval]] = defaultdict(list)
        self.children: dict[int, list[_Interval]] = defaultdict(list)
        rows = db.session.execute(
            select(
                UnitClosure.ancestor_id,
                UnitClosure.descendant_id,
                UnitClosure.valid_from,
                UnitClosure.valid_to,
            ).where(UnitClosure.distance == 1)
        )
        for parent, child, start, end in sorted(rows, key=lambda r: (r[1], r[2], r[0])):
            if child in unit_ids:
                self.parents[child].append(_Interval(parent, start, end))
                self.children[parent].append(_Interval(child, start, end))

    def name_on(self, unit_id: int, day: date, fallback: str) -> str:
        for start, end, name in self.names.get(unit_id, ()):
            if start <= day and (end is None or day < end):
                return name
        return fallback

    def parent_on(self, unit_id: int, day: date) -> int | None:
        for link in self.parents.get(unit_id, ()):
            if link.holds(day):
                return link.unit_id
        return None

    def children_on(self, unit_id: int, day: date) -> list[int]:
        return [link.unit_id for link in self.children.get(unit_id, ()) if link.holds(day)]
