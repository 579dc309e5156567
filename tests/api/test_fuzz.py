"""Every API endpoint fuzzed against ``/api/openapi.json`` (schemathesis, driven over the
Flask app's WSGI interface): no answer is a 5xx, every answer — status, content type,
body — is one the description declares, and a request it calls invalid is refused.

Signed in as unit staff, so the token-protected routes are reached, not only their 401;
the body's ``device_id`` is the token's device and mutation numbers follow on, so pushes
and pulls get past the envelope checks into the engine. The number of examples is bounded
(``FUZZ_EXAMPLES``, default 100 per operation) to keep CI short.
"""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from server.api.openapi import build
from tests.evidence.photos import ev_mutation, jpeg, record, upload
from tests.world import activity_record

PHOTO = jpeg(64, 48)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: What a request the description calls invalid may be answered with. A missing or wrong
#: ``Sodoan-Protocol`` is 426 by the protocol (§1), which schemathesis does not expect.
REFUSED = [400, 401, 403, 404, 405, 409, 413, 415, 422, 426, 429]


@pytest.fixture
def signed_in(world):
    phone = world.phone("canbo")
    # Something for pulls, conflicts and resolutions to find.
    phone.push(
        phone.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])),
    )
    # A stored evidence photo of the branch, which staff may read (PROTOCOL §9).
    member, aid, eid = world.phone("hoa"), uuid.uuid4(), uuid.uuid4()
    member.push(
        member.mutation("upsert", aid, activity_record(world.ids["b1"])),
        ev_mutation(member, "upsert", eid, record(aid, PHOTO, width=64, height=48)),
    )
    upload(member, eid, PHOTO)
    return {"phone": phone, "world": world, "next_n": phone.next_n, "evidence_id": str(eid)}


# The description as the server serves it (tests/api/test_openapi.py checks they are the
# same); loaded here, not from a fixture, so each operation is a test of its own.
schema = schemathesis.openapi.from_dict(
    build(),
    config=SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REFUSED}}}
    ),
)


@schemathesis.serializer("application/offset+octet-stream")
def _chunk(ctx, value) -> bytes:
    """An evidence upload's body is raw bytes (PROTOCOL §9); a value of another type (a
    negative case) is sent as its text."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "replace")


def _aimed(case, state) -> None:
    """Point a generated body at this device, numbered where its outbox stands: a random
    ``device_id`` would only ever meet ``403 device_mismatch``; and a photo's path at the
    stored one, which a random id would only ever meet as ``404 not_found``."""
    if case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE:
        return  # made invalid on purpose: "repairing" it would hide what it tests
    if case.path_parameters and "evidence_id" in case.path_parameters:
        case.path_parameters["evidence_id"] = state["evidence_id"]
    body = case.body
    if not isinstance(body, dict) or "device_id" not in body:
        return
    if case.operation.path in ("/sync/push", "/sync/pull"):
        body["device_id"] = str(state["phone"].device_id)
    mutations = body.get("mutations")
    if case.operation.path == "/sync/push" and isinstance(mutations, list):
        for i, m in enumerate(mutations):
            if isinstance(m, dict):
                m["n"] = state["next_n"] + i
                m["collection"] = "activities"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_is_declared_and_none_is_a_5xx(case, signed_in):
    _aimed(case, signed_in)
    # This device's token (the routes' refusal of a missing or unknown one is
    # tests/server/test_authorisation.py's); the generated protocol header stands, so a
    # negative case's wrong version is sent as generated.
    headers = {
        "Authorization": f"Bearer {signed_in['phone'].token}",
        "Accept-Encoding": "identity",  # the WSGI transport does not undo gzip
    }
    response = case.call(app=signed_in["world"].app, headers=headers)
    checks = CHECKS
    if set(case.query or {}) - {p.name for p in case.operation.query}:
        # A query parameter the operation does not take is ignored, by design (PROTOCOL
        # §1): such a request is not one the server must refuse.
        checks = [c for c in CHECKS if c is not negative_data_rejection]
    case.validate_response(response, checks=checks)
    if (
        case.operation.path == "/sync/push"
        and case.method.upper() == "POST"
        and response.status_code == 200
    ):
        signed_in["next_n"] = response.json()["last_applied"] + 1
