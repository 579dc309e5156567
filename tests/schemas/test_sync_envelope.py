"""The push envelope's fast check never accepts what the schema refuses, and accepts the
envelopes phones really send (so the schema's cost is saved where it matters)."""

from __future__ import annotations

import copy
import uuid

import pytest
from marshmallow import ValidationError

from schemas.sync import PushRequestSchema, plainly_valid_push
from tests.world import activity_record

ODD_VALUES = [
    None,
    True,
    False,
    -1,
    0,
    1,
    2**62,
    2**62 + 1,
    1.5,
    "",
    " ",
    "activities ",
    "activitiés",
    "x" * 41,
    "x" * 40,
    "upsert",
    "delete",
    "UPSERT",
    str(uuid.uuid4()),
    "not-a-uuid",
    uuid.uuid4().hex,
    [],
    ["title"],
    ["title", " place"],
    [1],
    ["x" * 41],
    {},
    {"a": 1},
]


def ordinary() -> dict:
    return {
        "device_id": str(uuid.uuid4()),
        "mutations": [
            {
                "n": 58,
                "collection": "activities",
                "op": "upsert",
                "id": str(uuid.uuid4()),
                "base_version": None,
                "record": activity_record(5),
            },
            {
                "n": 59,
                "collection": "activities",
                "op": "upsert",
                "id": str(uuid.uuid4()),
                "base_version": 3,
                "record": activity_record(5),
                "changed": ["title", "place"],
            },
            {
                "n": 60,
                "collection": "activities",
                "op": "delete",
                "id": str(uuid.uuid4()),
                "base_version": 2,
            },
        ],
    }


def variants():
    yield ordinary()
    for i in range(3):
        for key in ["n", "collection", "op", "id", "base_version", "record", "changed", "extra"]:
            for value in ODD_VALUES:
                env = ordinary()
                env["mutations"][i][key] = copy.deepcopy(value)
                yield env
            env = ordinary()
            env["mutations"][i].pop(key, None)
            yield env
    for value in ODD_VALUES:
        for key in ["device_id", "mutations", "extra"]:
            env = ordinary()
            env[key] = copy.deepcopy(value)
            yield env
    yield {"device_id": str(uuid.uuid4())}
    yield [ordinary()]


def test_the_fast_check_accepts_only_what_the_schema_accepts():
    accepted = refused_by_both = 0
    for env in variants():
        fast = plainly_valid_push(env)
        try:
            PushRequestSchema().load(env)
            schema = True
        except ValidationError:
            schema = False
        assert not (fast and not schema), env
        accepted += fast
        refused_by_both += not fast and not schema
    assert accepted > 50 and refused_by_both > 100  # both sides of the line were tried


@pytest.mark.parametrize("count", [1, 200])
def test_what_phones_send_takes_the_fast_path(count):
    env = ordinary()
    env["mutations"] = [
        {**env["mutations"][0], "n": n, "id": str(uuid.uuid4())} for n in range(1, count + 1)
    ]
    assert plainly_valid_push(env)


def _leaves(messages):
    """Every error the schema reports, wherever it sits in the tree of fields."""
    if isinstance(messages, dict) and "code" in messages:
        yield messages
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _leaves(value)
    elif isinstance(messages, list):
        for value in messages:
            yield from _leaves(value)
    else:
        yield messages


def test_every_refusal_of_an_envelope_is_structured():
    """A stable code and a Vietnamese and English message, even for a list that is not a
    list or an object that is not an object (marshmallow's own texts were English)."""
    seen = set()
    for env in variants():
        try:
            PushRequestSchema().load(env)
        except ValidationError as err:
            for leaf in _leaves(err.messages):
                assert isinstance(leaf, dict) and set(leaf) >= {"code", "message", "message_en"}, (
                    env,
                    err.messages,
                )
                seen.add(leaf["code"])
    assert {"not_a_list", "not_a_mapping", "required", "unknown_field"} <= seen
