"""Vietnamese text is stored in NFC and found with or without diacritics."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from sqlalchemy import insert, text

from server.extensions import db
from server.models import Unit, UnitKind
from server.search import find_activities, find_units
from tests import factories as f

NFD = unicodedata.normalize("NFD", "Đoàn xã Trường Hà, Cao Bằng")


def test_nfd_input_is_stored_as_nfc_through_the_orm(ctx):
    root = f.unit("CB", None, UnitKind.PROVINCE, name=NFD)
    db.session.commit()
    raw = db.session.execute(text("SELECT name FROM units WHERE id = :i"), {"i": root.id})
    stored = raw.scalar_one()
    assert stored == unicodedata.normalize("NFC", NFD)
    assert stored != NFD


def test_nfd_input_is_stored_as_nfc_through_core_inserts(ctx):
    db.session.execute(
        insert(Unit).values(
            code="X",
            name=NFD,
            name_fold="x",
            kind="branch",
            opened_on=date(2000, 1, 1),
            depth=0,
            border_area=False,
            created_at=db.func.now(),
            updated_at=db.func.now(),
        )
    )
    stored = db.session.execute(text("SELECT name FROM units WHERE code = 'X'")).scalar_one()
    assert unicodedata.is_normalized("NFC", stored)


@pytest.mark.parametrize(
    "query", ["Cao Bang", "cao bằng", "CAO BẰNG", "truong ha", "Đoàn xã", "doan xa", NFD]
)
def test_unit_search_ignores_diacritics_and_case(ctx, query):
    f.unit("CB", None, UnitKind.PROVINCE, name="Đoàn xã Trường Hà, Cao Bằng")
    f.unit("OTHER", None, UnitKind.PROVINCE, name="Đoàn phường Hợp Giang")
    assert [u.code for u in find_units(query)] == ["CB"]


def test_search_treats_like_wildcards_as_text(ctx):
    f.unit("A", None, UnitKind.PROVINCE, name="Chi đoàn 100% tình nguyện")
    f.unit("B", None, UnitKind.PROVINCE, name="Chi đoàn 1000 tình nguyện")
    assert [u.code for u in find_units("100%")] == ["A"]


def test_activity_search_by_title_or_place_within_a_subtree(ctx):
    root = f.unit("CB", None, UnitKind.PROVINCE)
    mine = f.unit("B1", root)
    other_root = f.unit("LS", None, UnitKind.PROVINCE)
    theirs = f.unit("B2", other_root)
    hit = f.activity(mine, date(2016, 3, 26), "Thứ bảy tình nguyện", place="UBND xã Lũng Nặm")
    f.activity(mine, date(2016, 3, 26), "Trồng cây", place="Bảo Lạc")
    f.activity(theirs, date(2016, 3, 26), "Thứ bảy tình nguyện", place="Lũng Nặm")
    gone = f.activity(mine, date(2016, 4, 2), "Tình nguyện Lũng Nặm")
    gone.deleted_at = gone.created_at

    assert [a.id for a in find_activities("lung nam tinh nguyen", root.id)] == [hit.id]
    assert [a.id for a in find_activities("Lũng Nặm", mine.id)] == [hit.id]
