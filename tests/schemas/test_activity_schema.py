"""The activity schema: structured, bilingual errors and quantities checked per type."""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from schemas.activity import ActivitySchema
from schemas.catalogue import QuantitySpecSchema, TypeSpec
from server.seed.catalogue import TYPES

CATALOGUE = {
    code: TypeSpec(code=code, active=True, quantities=tuple(q))
    for code, _pillar, _vi, _en, q in TYPES
}
CATALOGUE["cu"] = TypeSpec(code="cu", active=False, quantities=())


def valid(**changes):
    data = {
        "id": str(uuid.uuid4()),
        "unit_id": 7,
        "type": "thu_bay_tinh_nguyen",
        "title": "Ngày thứ bảy tình nguyện tại xã Trường Hà",
        "starts_on": "2016-03-26",
        "ends_on": "2016-03-26",
        "members_count": 12,
        "citizens_served": 85,
        "volunteer_hours": "48.5",
        "quantities": {"dossiers_land": 14, "dossiers_civil_status": 9},
    }
    data.update(changes)
    return data


def load(data, **kw):
    return ActivitySchema(types=CATALOGUE, **kw).load(data)


def errors_of(data, **kw) -> dict:
    with pytest.raises(ValidationError) as exc:
        load(data, **kw)
    return exc.value.messages


def test_a_valid_activity_loads_with_defaults_and_nfc_text():
    title = unicodedata.normalize("NFD", "  Thăm gia đình chính sách  ")
    out = load(valid(title=title))
    assert out["title"] == "Thăm gia đình chính sách"
    assert unicodedata.is_normalized("NFC", out["title"])
    assert out["volunteer_hours"] == Decimal("48.5")
    assert out["status"] == "draft" and out["place"] == "" and out["recorded_at"] is None
    assert out["quantities"] == {"dossiers_land": 14, "dossiers_civil_status": 9}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": ""}, "title", "blank"),
        ({"title": "x" * 201}, "title", "too_long"),
        ({"title": None}, "title", "null"),
        ({"members_count": -1}, "members_count", "too_small"),
        ({"members_count": "12"}, "members_count", "not_an_integer"),
        ({"members_count": True}, "members_count", "not_an_integer"),
        ({"citizens_served": 10**6}, "citizens_served", "too_large"),
        ({"volunteer_hours": "nhiều"}, "volunteer_hours", "not_a_number"),
        ({"starts_on": "26/03/2016"}, "starts_on", "not_a_date"),
        ({"ends_on": "2016-03-25"}, "ends_on", "ends_before_start"),
        ({"starts_on": "1999-12-31", "ends_on": "2000-01-02"}, "starts_on", "date_out_of_range"),
        ({"type": "khong_co"}, "type", "unknown_type"),
        ({"type": "cu"}, "type", "type_inactive"),
        ({"status": "approved"}, "status", "not_one_of"),
        ({"id": "not-a-uuid"}, "id", "not_a_uuid"),
        ({"recorded_at": "2016-03-26T08:00:00"}, "recorded_at", "not_a_datetime"),
        ({"quantities": [1, 2]}, "quantities", "not_a_mapping"),
        ({"colour": "red"}, "colour", "unknown_field"),
    ],
)
def test_each_error_has_a_stable_code_and_two_languages(changes, field, code):
    errors = errors_of(valid(**changes))
    problem = errors[field][0]
    assert problem["code"] == code
    assert problem["message"] and problem["message_en"]
    assert problem["message"] != problem["message_en"]


def test_missing_required_fields_are_all_reported():
    errors = errors_of({})
    assert {k for k, v in errors.items() if v[0]["code"] == "required"} == {
        "id",
        "unit_id",
        "type",
        "title",
        "starts_on",
        "ends_on",
    }


@pytest.mark.parametrize(
    ("quantities", "key", "code"),
    [
        ({"gifts": 3}, "gifts", "unknown_quantity"),
        ({"dossiers_land": 2.5}, "dossiers_land", "not_an_integer"),
        ({"dossiers_land": -2}, "dossiers_land", "too_small"),
        ({"dossiers_land": "mười"}, "dossiers_land", "not_a_number"),
        ({"dossiers_land": True}, "dossiers_land", "not_a_number"),
        ({"dossiers_land": 10**7}, "dossiers_land", "too_large"),
    ],
)
def test_quantities_are_checked_against_the_type(quantities, key, code):
    errors = errors_of(valid(quantities=quantities))
    assert errors["quantities"][key][0]["code"] == code


def test_quantity_kinds_are_normalised():
    out = load(
        valid(type="den_on_dap_nghia", quantities={"gifts": "20", "gift_value_vnd": 10_000_000.0})
    )
    assert out["quantities"] == {"gifts": 20, "gift_value_vnd": 10_000_000}
    out = load(valid(type="tinh_nguyen", quantities={"road_km": 1.25, "trees": None}))
    assert out["quantities"] == {"road_km": 1.2}


def test_a_partial_edit_checks_quantities_against_the_records_type():
    edit = {"quantities": {"gifts": 5}}
    out = ActivitySchema(types=CATALOGUE, base_type="thieu_nhi").load(edit, partial=True)
    assert out == {"quantities": {"gifts": 5}}
    errors = errors_of(edit, base_type="thu_bay_tinh_nguyen", partial=True)
    assert errors["quantities"]["gifts"][0]["code"] == "unknown_quantity"


def test_the_catalogue_itself_is_well_formed():
    for _code, _pillar, _vi, _en, quantities in TYPES:
        QuantitySpecSchema(many=True).load(quantities)
    assert len({code for code, *_ in TYPES}) == 14
