"""What a cursor altered by hand, or one from before version 2, is answered."""

from __future__ import annotations

import uuid

from tests.world import activity_record


def _reason(phone, cursor: str) -> str:
    body = phone.pull(cursor=cursor, expect=409)
    assert body["code"] == "resync_required"
    return body["reason"]


def _flip(text: str) -> str:
    """The same text with its last character changed (still a digit or hex digit)."""
    return text[:-1] + ("1" if text[-1] != "1" else "2")


def test_a_cursor_altered_anywhere_is_a_bad_cursor(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    for _ in range(3):
        hoa.push(hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    lan.sync_down()
    parts = lan.cursor.split(".")
    # Issue 11: the last part altered was answered scope_changed.
    assert _reason(lan, ".".join([*parts[:-1], _flip(parts[-1])])) == "bad_cursor"
    for i in range(2, len(parts)):
        altered = ".".join([*parts[:i], _flip(parts[i]), *parts[i + 1 :]])
        assert _reason(lan, altered) == "bad_cursor", i
    # The epoch part names another database: that is what it is answered.
    assert _reason(lan, ".".join([parts[0], _flip(parts[1]), *parts[2:]])) == "epoch_changed"
    assert lan.pull()["changes"] == []  # the real one still works


def test_a_version_1_cursor_is_still_served_and_answered_with_a_version_2_one(world):
    hoa, lan = world.phone("hoa"), world.phone("lan")
    first = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", first, activity_record(world.ids["b1"])))
    lan.sync_down()
    version, epoch, change, _generation, scope, _tail = lan.cursor.split(".")
    assert version == "2"
    later = uuid.uuid4()
    hoa.push(hoa.mutation("upsert", later, activity_record(world.ids["b1"])))
    page = lan.pull(cursor=f"1.{epoch}.{change}.{scope}")
    assert [c["id"] for c in page["changes"]] == [str(later)]
    assert page["cursor"].startswith("2.")
    assert lan.pull(cursor=page["cursor"])["changes"] == []


def test_numbers_a_cursor_cannot_hold_are_a_bad_cursor_not_a_500(world):
    """A change number past the database's integers (SQLite raised OverflowError on the
    token look-up, before any check), leading zeros, or digits of another script: each is
    a cursor this server never made."""
    hoa, lan = world.phone("hoa"), world.phone("lan")
    hoa.push(hoa.mutation("upsert", uuid.uuid4(), activity_record(world.ids["b1"])))
    lan.sync_down()
    version, epoch, change, generation, scope, tail = lan.cursor.split(".")
    for number in ("9999999999999999999", "9223372036854775808", "0" + change, "١"):
        for cursor in (
            f"2.{epoch}.{number}.{generation}.{scope}.{tail}",
            f"1.{epoch}.{number}.{scope}",
        ):
            assert _reason(lan, cursor) == "bad_cursor", cursor
    assert _reason(lan, f"2.{epoch}.{change}.0{generation}.{scope}.{tail}") == "bad_cursor"
    assert lan.pull()["changes"] == []
