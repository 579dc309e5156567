"""Rules written once and wiring made explicit (structure issue, items 2 and 5)."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

import server
from server.activities.counted import COUNTED, counted, counts
from server.extensions import db
from server.models import Activity, ActivityStatus, UnitKind
from server.models.reports import report_deltas
from server.models.types import utcnow
from tests import factories as f


def test_the_counted_rule_reads_the_same_in_python_and_in_sql(app):
    """Every status, deleted or not: the query finds exactly the activities the Python
    form counts, and the deltas count exactly those."""
    with app.app_context():
        branch = f.unit("X1", f.unit("X", None, UnitKind.PROVINCE))
        expected = set()
        for status, deleted in itertools.product(list(ActivityStatus), (False, True)):
            a = f.activity(
                branch,
                date(2026, 9, 1),
                title=f"{status.value} {deleted}",
                status=status.value,
                deleted_at=utcnow() if deleted else None,
            )
            if counts(a.status, a.deleted_at):
                expected.add(a.title)
        db.session.commit()
        found = set(db.session.scalars(select(Activity.title).where(counted())))
        assert found == expected == {"submitted False", "verified False"}
        assert set(COUNTED) == {"submitted", "verified"}
        # The deltas recorded (one per flush) count exactly those two.
        rows = db.session.execute(select(report_deltas)).all()
        assert (sum(r.activities for r in rows), sum(r.verified for r in rows)) == (2, 1)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_unit_tree_does_not_import_reporting():
    root = Path(server.__file__).parent
    assert not {n for n in _imports(root / "units" / "service.py") if "reports" in n}


def test_hooks_are_attached_by_create_app_not_by_imports(app):
    """Importing the modules attaches nothing (a fresh interpreter); every app the
    suite builds registers them again, and each write still records one delta."""
    probe = (
        "from sqlalchemy import event\n"
        "from server.models import Activity\n"
        "from server.activities import submission, wire\n"
        "from server.reports import deltas\n"
        "from server.units.service import tree_changed\n"
        "print(event.contains(Activity, 'after_insert', deltas._inserted),"
        " event.contains(Activity, 'before_insert', wire._render),"
        " event.contains(Activity, 'before_insert', submission._on_insert),"
        " bool(tree_changed.receivers))\n"
        "from server import create_app\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(event.contains(Activity, 'after_insert', deltas._inserted),"
        " event.contains(Activity, 'before_insert', wire._render),"
        " event.contains(Activity, 'before_insert', submission._on_insert),"
        " bool(tree_changed.receivers))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["False False False False", "True True True True"]
    from server import create_app

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})  # registers once more
    with app.app_context():
        branch = f.unit("X1", f.unit("X", None, UnitKind.PROVINCE))
        f.activity(branch, date(2026, 9, 1), status="submitted")
        db.session.commit()
        assert len(db.session.execute(select(report_deltas)).all()) == 1
