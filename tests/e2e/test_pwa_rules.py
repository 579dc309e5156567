"""The phone's checks and the server's agree: the same records, run through the field
app's validator in Chromium and through the server's schema, give the same problems (field
and code) and the same Vietnamese messages."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import ValidationError

from schemas.activity import SERVER_OWNED, ActivitySchema
from schemas.catalogue import TypeSpec
from server.seed.catalogue import TYPES
from tests.world import activity_record

CATALOGUE = {
    code: TypeSpec(code=code, active=True, quantities=tuple(q))
    for code, _pillar, _vi, _en, q in TYPES
}
CATALOGUE["cu"] = TypeSpec(code="cu", active=False, quantities=())
TYPES_JSON = [
    {"code": s.code, "active": s.active, "quantities": list(s.quantities)}
    for s in CATALOGUE.values()
]

CASES: list[dict[str, Any]] = [
    {},
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 201},
    {"title": 5},
    {"place": "p" * 201},
    {"description": "d" * 5001},
    {"starts_on": "2026-02-31"},
    {"starts_on": "21/11/2026"},
    {"starts_on": "1999-12-31", "ends_on": "1999-12-31"},
    {"ends_on": "2101-01-01"},
    {"starts_on": "2026-11-21", "ends_on": "2026-11-20"},
    {"members_count": -1},
    {"members_count": 100_001},
    {"members_count": 2.5},
    {"members_count": "12"},
    {"citizens_served": None},
    {"volunteer_hours": "abc"},
    {"volunteer_hours": "-0.5"},
    {"volunteer_hours": "1000000.1"},
    {"volunteer_hours": 12},
    {"type": "khong_co"},
    {"type": "cu", "quantities": {}},
    {"type": ""},
    {"quantities": {"dossiers_land": 2.5}},
    {"quantities": {"dossiers_land": -1}},
    {"quantities": {"dossiers_land": 1_000_001}},
    {"quantities": {"dossiers_land": "abc"}},
    {"quantities": {"gifts": 3}},
    {"quantities": []},
    {"status": "verified2"},
    {"status": "draft", "quantities": {"dossiers_land": "7"}},
    {"unit_id": 0},
]


def _server_problems(record: dict) -> dict[str, list[str]]:
    try:
        ActivitySchema(types=CATALOGUE).load({"id": str(uuid.uuid4()), **record})
    except ValidationError as err:
        return _flat(err.messages)
    return {}


def _flat(errors: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, problems in errors.items():
        if isinstance(problems, dict):
            for key, inner in _flat(problems).items():
                out[f"{name}.{key}"] = inner
        else:
            out[name] = sorted(f"{p['code']}|{p['message']}" for p in problems)
    return out


def test_the_phone_and_the_server_find_the_same_problems(world, live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/app/")
    page.wait_for_selector("#sign-in")
    records = [{**activity_record(7), **changes} for changes in CASES]
    for record in records:
        record.pop("recorded_at")
    phone = page.evaluate(
        """async ([records, types]) => {
          const v = await import('/app/js/page/validate.js');
          const all = await v.rules();
          return records.map((r) => v.validate(all, r, types, null));
        }""",
        [records, TYPES_JSON],
    )
    valid = []
    for changes, record, found in zip(CASES, records, phone, strict=True):
        assert _flat(found) == _server_problems(record), changes
        if not found:
            valid.append(changes)
    # The agreement is not the trivial one: all but these cases are refused by both.
    assert valid == [
        {},
        {"volunteer_hours": 12},
        {"status": "draft", "quantities": {"dossiers_land": "7"}},
    ]


def test_the_rules_say_what_the_server_sends_and_enforces(world):
    """The phone builds records from `record_fields` and sizes pushes by `protocol`: both
    must be what the server actually sends and refuses beyond."""
    phone = world.phone("hoa")
    rules = phone.client.get("/app/rules.json").get_json()
    phone.push(phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    [change] = phone.pull()["changes"]
    assert rules["record_fields"] == [k for k in change["record"] if k not in SERVER_OWNED]

    limit = rules["protocol"]["max_mutations"]
    many = [phone.mutation("delete", uuid.uuid4()) for _ in range(limit + 1)]
    too_many = phone.push(*many, expect=413)
    assert (too_many["code"], too_many["limit"]) == ("batch_too_large", limit)
    limit_bytes = rules["protocol"]["max_body_bytes"]
    padded = {"device_id": str(phone.device_id), "mutations": [], "pad": "x" * limit_bytes}
    too_large = phone.post("/api/v1/sync/push", padded)
    assert too_large.status_code == 413
    assert too_large.get_json()["limit_bytes"] == limit_bytes
