"""The protocol client the drills use (tests/fieldphone.py) against the app: two phones of
one branch converge, and a resync keeps what waits."""

from __future__ import annotations

from tests import factories as f
from tests.fieldphone import FieldPhone, flask_transport
from tests.world import activity_record


def test_two_phones_of_a_branch_converge_through_the_protocol_client(world):
    hoa = FieldPhone(flask_transport(world.app.test_client()), "hoa", f.PASSWORD)
    lan = FieldPhone(flask_transport(world.app.test_client()), "lan", f.PASSWORD)
    hoa.sign_in()
    lan.sign_in()
    made = [hoa.create(activity_record(world.ids["b1"], title=f"Việc {i}")) for i in range(3)]
    hoa.sync()
    lan.sync()
    lan.edit(made[0], place="Nhà văn hoá xóm")
    lan.delete(made[1])
    lan.sync()
    hoa.sync()
    assert not hoa.outbox and not lan.outbox
    assert set(hoa.store) == set(lan.store) == {made[0], made[2]}
    assert hoa.store[made[0]] == lan.store[made[0]]
    assert hoa.store[made[0]]["record"]["place"] == "Nhà văn hoá xóm"


def test_a_resync_keeps_the_entries_that_wait(world):
    hoa = FieldPhone(flask_transport(world.app.test_client()), "hoa", f.PASSWORD)
    hoa.sign_in()
    kept = hoa.create(activity_record(world.ids["b1"]))
    hoa.sync()
    waiting = hoa.create(activity_record(world.ids["b1"], title="Chưa gửi"))
    hoa.cursor = "1.00000000.0.00000000"  # another database's: the server asks for a resync
    hoa.pull_all()
    assert hoa.resyncs == 1 and not hoa.outbox
    assert set(hoa.store) == {kept, waiting}
