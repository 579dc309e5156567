"""The unit tree: subtree queries, and dated history that reports can roll up by."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Activity, Unit, UnitClosure, UnitEvent, UnitKind
from server.units.service import (
    TreeError,
    ancestor_ids,
    close_unit,
    in_subtree_when,
    is_within,
    merge_unit,
    move_unit,
    name_on,
    rename_unit,
    subtree_ids,
)
from tests import factories as f

REFORM = date(2025, 7, 1)


def ids(query) -> set[int]:
    return set(db.session.scalars(query))


def test_subtree_at_depth_five(ctx):
    line = f.chain(5)
    # A sibling branch at every level, which must not leak into deeper subtrees.
    siblings = [f.unit(f"S{i}", parent) for i, parent in enumerate(line[:-1])]
    db.session.flush()
    for level, top in enumerate(line):
        expected = {u.id for u in line[level:]} | {s.id for s in siblings[level:]}
        assert ids(subtree_ids(top.id)) == expected
    assert [u.depth for u in line] == [0, 1, 2, 3, 4, 5]
    assert list(db.session.scalars(ancestor_ids(line[5].id))) == [u.id for u in reversed(line)]
    assert is_within(line[5].id, line[0].id)
    assert not is_within(line[0].id, line[5].id)


def test_subtree_query_is_one_indexed_lookup(ctx):
    """The subtree query reads the closure index, not a scan of the table."""
    line = f.chain(3)
    db.session.flush()
    query = subtree_ids(line[1].id)
    sql = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        plan = " ".join(str(r) for r in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_unit_closure_ancestor" in plan
    else:
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(r[0] for r in db.session.execute(db.text(f"EXPLAIN {sql}")))
        assert "ix_unit_closure_ancestor" in plan


def test_move_keeps_the_past_and_changes_the_future(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    district = f.unit("D", root, UnitKind.DISTRICT)
    commune = f.unit("C", district, UnitKind.COMMUNE)
    branch = f.unit("B", commune)
    db.session.flush()

    move_unit(commune, root, REFORM)

    assert ids(subtree_ids(district.id)) == {district.id}
    assert ids(subtree_ids(district.id, on=date(2016, 5, 1))) == {
        district.id,
        commune.id,
        branch.id,
    }
    assert ids(subtree_ids(district.id, on=REFORM)) == {district.id}
    assert ids(subtree_ids(root.id)) == {root.id, district.id, commune.id, branch.id}
    db.session.refresh(branch)
    db.session.refresh(commune)
    assert (commune.parent_id, commune.depth, branch.depth) == (root.id, 1, 2)
    assert list(db.session.scalars(ancestor_ids(branch.id, on=date(2016, 5, 1)))) == [
        branch.id,
        commune.id,
        district.id,
        root.id,
    ]
    assert list(db.session.scalars(ancestor_ids(branch.id))) == [branch.id, commune.id, root.id]


def test_activities_roll_up_the_tree_as_it_was_on_their_date(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    old_district = f.unit("D1", root, UnitKind.DISTRICT)
    new_district = f.unit("D2", root, UnitKind.DISTRICT)
    branch = f.unit("B", old_district)
    before = f.activity(branch, date(2016, 3, 26), "Trước khi chuyển")
    move_unit(branch, new_district, date(2020, 1, 1))
    after = f.activity(branch, date(2020, 1, 1), "Sau khi chuyển")

    def rolled_up(unit: Unit) -> set:
        cond = in_subtree_when(unit.id, Activity.unit_id, Activity.starts_on)
        return set(db.session.scalars(select(Activity.id).where(cond)))

    assert rolled_up(old_district) == {before.id}
    assert rolled_up(new_district) == {after.id}
    assert rolled_up(root) == {before.id, after.id}


def test_merge_moves_children_and_people_and_closes_the_source(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    a = f.unit("A", root, UnitKind.COMMUNE, name="Đoàn xã Thông Nông")
    b = f.unit("B", root, UnitKind.COMMUNE, name="Đoàn xã Cần Yên")
    a1, a2 = f.unit("A1", a), f.unit("A2", a)
    staff = f.user("can-bo-a", a, role="unit_staff")

    merge_unit(a, b, REFORM)
    rename_unit(b, "Đoàn xã Thông Nông mới", REFORM)

    db.session.refresh(a)
    db.session.refresh(staff)
    assert a.closed_on == REFORM and a.merged_into_id == b.id
    assert staff.unit_id == b.id
    assert ids(subtree_ids(b.id)) == {b.id, a1.id, a2.id}
    assert ids(subtree_ids(a.id)) == set()
    assert ids(subtree_ids(a.id, on=date(2024, 12, 31))) == {a.id, a1.id, a2.id}
    assert name_on(b, date(2024, 12, 31)) == "Đoàn xã Cần Yên"
    assert name_on(b, REFORM) == "Đoàn xã Thông Nông mới"
    actions = db.session.scalars(
        select(UnitEvent.action).where(UnitEvent.unit_id == a.id).order_by(UnitEvent.id)
    ).all()
    assert actions == ["created", "closed", "merged"]


def test_tree_changes_that_would_corrupt_it_are_refused(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    d = f.unit("D", root, UnitKind.DISTRICT)
    c = f.unit("C", d, UnitKind.COMMUNE)
    before = db.session.scalar(select(func.count()).select_from(UnitClosure))

    with pytest.raises(TreeError, match="cấp dưới của chính nó"):
        move_unit(d, c, REFORM)
    with pytest.raises(TreeError, match="đơn vị trực thuộc"):
        close_unit(d, REFORM)
    move_unit(c, root, REFORM)
    with pytest.raises(TreeError, match="ghi lùi"):
        move_unit(c, d, date(2020, 1, 1))
    close_unit(d, REFORM)
    with pytest.raises(TreeError, match="đã giải thể"):
        move_unit(c, d, date(2026, 1, 1))
    with pytest.raises(TreeError, match="đã giải thể"):
        f.unit("X", d, opened_on=date(2026, 1, 1))
    assert db.session.scalar(select(func.count()).select_from(UnitClosure)) > before


def test_closing_refuses_while_people_are_still_active(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    branch = f.unit("B", root)
    member = f.user("0912000001", branch)
    with pytest.raises(TreeError, match="tài khoản đang hoạt động"):
        close_unit(branch, REFORM)
    member.is_active = False
    close_unit(branch, REFORM)
    assert ids(subtree_ids(root.id)) == {root.id}


def test_a_unit_opened_later_inherits_its_parents_history_from_its_opening(ctx):
    root = f.unit("P", None, UnitKind.PROVINCE)
    d1 = f.unit("D1", root, UnitKind.DISTRICT)
    d2 = f.unit("D2", root, UnitKind.DISTRICT)
    c = f.unit("C", d1, UnitKind.COMMUNE)
    move_unit(c, d2, date(2020, 1, 1))
    # Back-dated creation under C: before the move it sat under D1, after under D2.
    b = f.unit("B", c, opened_on=date(2018, 6, 1))
    assert b.id in ids(subtree_ids(d1.id, on=date(2019, 1, 1)))
    assert b.id not in ids(subtree_ids(d2.id, on=date(2019, 1, 1)))
    assert b.id in ids(subtree_ids(d2.id))
    assert b.id not in ids(subtree_ids(root.id, on=date(2018, 1, 1)))
