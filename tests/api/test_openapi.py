"""``/api/openapi.json``: public, cached, OpenAPI 3, and the same contract as
docs/PROTOCOL.md (issue 12 §4)."""

from __future__ import annotations

import re
from pathlib import Path

import schemathesis

from server.api.openapi import OPERATIONS, PREFIX, build

PROTOCOL = (Path(__file__).parents[2] / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def _said_in_protocol() -> set[tuple[int, str]]:
    """Every (status, code) PROTOCOL.md gives: its tables' rows and its prose ("`409
    user_inactive`")."""
    pairs: set[tuple[int, str]] = set()
    for status, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", PROTOCOL, re.M):
        pairs |= {(int(status), c) for c in re.findall(r"`(\w+)`", codes)}
    pairs |= {(int(s), c) for s, c in re.findall(r"`(\d{3}) (\w+)`", PROTOCOL)}
    return pairs


def test_served_without_a_token_or_protocol_header_and_cached(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "public" in resp.headers["Cache-Control"] and resp.headers["ETag"]
    body = resp.get_json()
    assert body["openapi"].startswith("3.") and body == build()
    again = client.get("/api/openapi.json", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_it_loads_as_an_openapi_description(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert len(operations) == len(OPERATIONS)


def test_every_api_route_is_described(app):
    described = {(op.method.upper(), PREFIX + op.path) for op in OPERATIONS}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == described


def test_every_operation_is_in_protocol_md():
    for op in OPERATIONS:
        path = re.sub(r"{\w+}", "<id>", op.path)
        words = f"{op.method.upper()} {path}"
        assert words in PROTOCOL, words


def test_every_status_and_code_described_is_in_protocol_md_and_back():
    said = _said_in_protocol()
    described = {(s, c) for op in OPERATIONS for s, codes in op.codes().items() for c in codes}
    assert described - said == set()
    # And every code of §1's table is one the description has.
    section_1 = PROTOCOL.split("## 2.")[0]
    table = {
        (int(s), c)
        for s, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", section_1, re.M)
        for c in re.findall(r"`(\w+)`", codes)
    }
    # Not answers of an operation: 405 is for a method no operation has, 416 never comes
    # from the API, and a 500 is a fault (the fuzz holds every operation to none).
    not_of_an_operation = {
        (405, "method_not_allowed"),
        (416, "requested_range_not_satisfiable"),
        (500, "internal_server_error"),
    }
    assert table - not_of_an_operation - described == set()
    assert not_of_an_operation <= table


def test_the_error_shape_is_described():
    spec = build()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "message_en"}
    assert error.get("additionalProperties", True) is not False
    push = spec["paths"]["/sync/push"]["post"]["responses"]
    assert push["409"]["content"]["application/json"]["schema"]["allOf"][1] == {
        "properties": {"code": {"enum": ["mutation_gap", "mutation_mismatch"]}}
    }
    assert {"200", "400", "401", "403", "409", "413", "415", "422", "426", "503"} == set(push)
