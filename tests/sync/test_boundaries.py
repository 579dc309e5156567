"""The engine alone keeps its bookkeeping (ARCHITECTURE: "no module outside sync/ reads or
writes the sync_* tables").

The pull guarantee — a version bump, the fields marked, a change number taken under the
counter's lock just before commit — holds only if every change of a synced record goes
through ``sync`` (a push, or :class:`sync.records.ServerChanges`). These read the app's
source (``server/``, ``schemas/``; migrations, which make the tables, aside) and refuse any
other way in: the engine's tables by name, its table module, the counter, and assignments
to the bookkeeping columns.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = [
    p
    for package in ("server", "schemas")
    for p in sorted((ROOT / package).rglob("*.py"))
    if "migrations" not in p.relative_to(ROOT).parts
]
TABLE_NAME = re.compile(r"\bsync_(state|devices|mutations|conflicts|change_tokens)\b")
#: Engine modules that hold its storage: only ``sync/`` uses them.
PRIVATE = {"sync.tables", "sync.changes", "sync.apply", "sync.merge"}
#: The one exception: Alembic compares the engine's tables with the migrations.
ALLOWED = {("server/migrating.py", "sync.tables", "metadata")}
BOOKKEEPING = {"version", "field_versions", "change_seq"}


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(tree: ast.AST) -> list[tuple[str, str]]:
    """(module, name) for every import; (module, "") for ``import module``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sync":
                out += [(f"sync.{a.name}", "") for a in node.names]
            else:
                out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names]
    return out


def _bookkeeping_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr in BOOKKEEPING:
                    lines.append(node.lineno)
    return lines


def test_the_app_is_read_from_its_source():
    names = {_name(p) for p in APP}
    assert {"server/review/service.py", "server/seed/demo.py", "schemas/sync.py"} <= names


@pytest.mark.parametrize("path", APP, ids=_name)
def test_no_module_outside_sync_touches_the_engines_bookkeeping(path: Path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    name = _name(path)
    named = [
        f"line {i}: {line.strip()}"
        for i, line in enumerate(source.splitlines(), 1)
        if TABLE_NAME.search(line)
    ]
    assert not named, f"{name} names the engine's tables: {named}"
    private = [
        (module, what)
        for module, what in _imports(tree)
        if module in PRIVATE and (name, module, what) not in ALLOWED
    ]
    assert not private, f"{name} imports the engine's storage: {private}"
    writes = _bookkeeping_writes(tree)
    assert not writes, f"{name} sets version/field_versions/change_seq (lines {writes})"


@pytest.mark.parametrize(
    "source",
    [
        "from sync.tables import sync_mutations\n",
        "from sync import tables\n",
        "import sync.changes\n",
        "from sync.changes import allocate\n",
        "q = 'SELECT * FROM sync_conflicts'\n",
        "a.version += 1\n",
        "a.field_versions = {}\n",
        "a.change_seq, b = 1, 2\n",
        "(a.change_seq, b) = (1, 2)\n",
    ],
)
def test_the_checks_catch_each_way_in(source: str, tmp_path: Path):
    """The checks above can fail: each of these is one of the ways they refuse."""
    tree = ast.parse(source)
    caught = (
        bool(TABLE_NAME.search(source))
        or any(module in PRIVATE for module, _what in _imports(tree))
        or bool(_bookkeeping_writes(tree))
    )
    assert caught, source
