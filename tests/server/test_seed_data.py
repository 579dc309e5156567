"""The demo's data files (server/seed/data/*.toml) hold together: anyone may correct a name
or a weight there, and a typo must fail here rather than silently thin out the demo
(a user whose unit code is wrong is skipped, a misspelt type is never drawn)."""

from __future__ import annotations

import string
from collections import Counter

from server.seed import figures, places, planner
from server.seed.catalogue import TYPES
from server.seed.demo import DEMO_USERS

CATALOGUE = {code: [q["code"] for q in quantities] for code, _, _, _, quantities in TYPES}
SECTORS = set(planner.TYPE_WEIGHTS)


def unit_codes() -> Counter[str]:
    """Every code the tree is built with, as server.seed.tree makes them."""
    codes: Counter[str] = Counter([places.PROVINCE_CODE])
    for district in places.DISTRICTS:
        codes[places.district_code(district)] += 1
        for commune in district.communes:
            code = places.commune_code(district, commune)
            codes[code] += 1
            labels = places.hamlet_labels(district, commune)
            merged = [m for m in places.HAMLET_MERGES if m.commune_code == code]
            for index in range(1, len(labels) + len(merged) + 1):
                codes[places.branch_code(code, index)] += 1

    def agency(a: places.Agency) -> None:
        codes[a.code] += 1
        for index in range(1, len(a.branches) + 1):
            codes[places.branch_code(a.code, index)] += 1
        for sub in a.subunions:
            agency(sub)

    for bloc in places.BLOCS:
        codes[bloc.code] += 1
        for index in range(1, len(bloc.branches) + 1):
            codes[places.branch_code(bloc.code, index)] += 1
        for a in bloc.agencies:
            agency(a)
    for new in places.NEW_BLOCS:
        codes[new.code] += 1
    return codes


def agencies() -> list[places.Agency]:
    found: list[places.Agency] = []
    pending = [a for bloc in places.BLOCS for a in bloc.agencies]
    while pending:
        a = pending.pop()
        found.append(a)
        pending += a.subunions
    return found


def test_every_unit_code_is_made_once_and_every_reference_names_one():
    codes = unit_codes()
    assert [c for c, n in codes.items() if n > 1] == []
    referenced = [u.unit_code for u in DEMO_USERS]
    referenced += [a.home for a in agencies() if a.home]
    referenced += [m.commune_code for m in places.HAMLET_MERGES]
    referenced += [c for ch in places.DEPARTMENT_CHANGES for c in (ch.source, ch.target)]
    referenced += [code for new in places.NEW_BLOCS for code in new.moves]
    assert [c for c in referenced if c not in codes] == []


def test_merges_name_communes_and_hamlets_that_exist():
    for district in places.DISTRICTS:
        names = {c.name for c in district.communes}
        for merge in district.merges:
            assert {merge.target, *merge.sources} <= names, (district.code, merge)
    communes = {places.commune_code(d, c): (d, c) for d in places.DISTRICTS for c in d.communes}
    for merge in places.HAMLET_MERGES:
        district, commune = communes[merge.commune_code]
        assert set(merge.hamlets) <= set(places.hamlet_labels(district, commune)), merge


def test_every_sector_and_type_in_the_drawing_tables_exists():
    used = {a.sector for a in agencies()} | {b.sector for b in places.BLOCS} | {"commune"}
    assert used <= SECTORS and set(planner.SECTOR_BIAS) == SECTORS
    for weights in planner.TYPE_WEIGHTS.values():
        assert set(weights) <= CATALOGUE.keys()
    for table in (planner.SEASONS, planner.CAMPAIGNS, figures.CITIZENS, planner.OFFICE_TYPES):
        assert set(table) <= CATALOGUE.keys()
    assert all(1 <= month <= 12 for months in planner.SEASONS.values() for month in months)
    assert len(planner.MONTH_WEIGHTS) == 12
    assert set(planner.DESCRIPTIONS) == CATALOGUE.keys()


def test_every_type_has_titles_whose_placeholders_are_known():
    known = {"xa", "xom", "coquan", "nam", "quy", "thang"}
    for key, templates in planner.TITLES.items():
        code, _, variant = key.partition("@")
        assert code in CATALOGUE and (not variant or variant in SECTORS | {"interior"}), key
        assert templates, key
        for text, _year, months in templates:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert names <= known, (key, text)
            assert months is None or all(1 <= m <= 12 for m in months)
    assert CATALOGUE.keys() <= planner.TITLES.keys()


def test_every_quantity_of_the_catalogue_has_a_drawing_rule():
    quantities = {code for codes in CATALOGUE.values() for code in codes}
    by_code = {"certificates", "work_days", "gifts", "gift_value_vnd"}  # planner.py
    assert set(figures.QUANTITIES) | by_code == quantities
    for rule in figures.QUANTITIES.values():
        assert set(rule) <= {"randint", "uniform", "fixed", "times", "from_year", "hint"}
