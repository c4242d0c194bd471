"""One writer of operation state: no module but outbox/store.py writes the `operations` table,
and chain/ (pure web3) imports nothing of the database or the write path."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from scfledger.db.models import Operation

SRC = Path(__file__).resolve().parents[2] / "src" / "scfledger"
STORE = SRC / "outbox" / "store.py"
# The model's own definition and the migrations that create the table are not writers.
NOT_WRITERS = {SRC / "db" / "models.py"}
MIGRATIONS = SRC / "db" / "migrations"

_COLUMNS = frozenset(column.key for column in Operation.__table__.columns)
_WRITES = {"insert", "update", "delete"}
IMPORT = "from scfledger.db.models import Operation"
_RAW_SQL = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+\"?operations\b", re.IGNORECASE)


def _aliases(tree: ast.Module) -> set[str]:
    """Names that stand for the operations table in a module: the ORM model imported, and
    names bound to its table (`Operation.__table__`, `table("operations", ...)`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scfledger.db"):
            names |= {a.asname or a.name for a in node.names if a.name == "Operation"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value, targets = node.value, [node.target]
        else:
            continue
        if _mentions_table(value, names):
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _mentions_table(node: ast.AST, names: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "Operation":
            return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name | ast.Attribute)
            and (sub.func.id if isinstance(sub.func, ast.Name) else sub.func.attr)
            in ("table", "Table")
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
            and sub.args[0].value == "operations"
        ):
            return True
    return False


def writes_to_operations(source: str) -> list[str]:
    """Each write of the operations table that a module's source makes, as `line: what`."""
    tree = ast.parse(source)
    names = _aliases(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in _WRITES and node.args and _mentions_table(node.args[0], names):
                found.append(f"{node.lineno}: {name}(...) of the operations table")
            if (
                name in _WRITES
                and isinstance(func, ast.Attribute)
                and _mentions_table(func.value, names)
            ):
                found.append(f"{node.lineno}: .{name}() of the operations table")
            constructor = isinstance(func, ast.Name) or getattr(func, "attr", "") == "Operation"
            if constructor and _mentions_table(func, names):
                found.append(f"{node.lineno}: a new Operation(...) row")
        if names and isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and sub.attr in _COLUMNS:
                        found.append(f"{node.lineno}: sets .{sub.attr} of an operation")
        if isinstance(node, ast.Constant) and _RAW_SQL.search(str(node.value)):
            found.append(f"{node.lineno}: SQL writing the operations table")
    return found


def _modules() -> list[Path]:
    return sorted(
        path
        for path in SRC.rglob("*.py")
        if path != STORE and path not in NOT_WRITERS and MIGRATIONS not in path.parents
    )


def test_only_the_store_writes_operation_state() -> None:
    writers = {
        str(path.relative_to(SRC)): hits
        for path in _modules()
        if (hits := writes_to_operations(path.read_text()))
    }

    assert writers == {}


def test_the_store_is_seen_writing() -> None:
    """The check reads real code: the store's own writes are found."""
    hits = writes_to_operations(STORE.read_text())

    assert any("update" in hit for hit in hits)
    assert any("insert" in hit for hit in hits)
    assert any("a new Operation" in hit for hit in hits)
    assert any("sets .status" in hit for hit in hits)


@pytest.mark.parametrize(
    "source",
    [
        f"{IMPORT}\nsession.execute(update(Operation).values(status='x'))",
        "from scfledger.db.models import Operation as Op\nstmt = sa.insert(Op)",
        f"{IMPORT}\nOPS = Operation.__table__\nconn.execute(OPS.update())",
        f"{IMPORT}\nsession.add(Operation(id='1'))",
        f"{IMPORT}\nop = session.get(Operation, 1)\nop.status = 'mined'",
        "from scfledger.db import models\nsession.add(models.Operation(id='1'))",
        "ops = table('operations', column('status'))\nconn.execute(update(ops))",
        "conn.exec_driver_sql('UPDATE operations SET status = 1')",
        "text('insert into \"operations\" (id) values (1)')",
    ],
)
def test_a_write_of_the_operations_table_is_found(source: str) -> None:
    assert writes_to_operations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        f"{IMPORT}\nrows = session.scalars(select(Operation))",
        "ops = table('operations', column('sender'))\nconn.execute(select(ops.c.sender))",
        f"{IMPORT}\ncheckpoint = 1\nother.name = 2",
        "session.execute(update(Transfer).values(status='x'))",
    ],
)
def test_a_read_of_the_operations_table_is_not_a_write(source: str) -> None:
    assert writes_to_operations(source) == []


def test_chain_imports_nothing_of_the_database_or_the_write_path() -> None:
    found = []
    for path in sorted((SRC / "chain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            found += [
                f"{path.relative_to(SRC)}:{node.lineno} imports {m}"
                for m in modules
                if m.startswith(("scfledger.db", "scfledger.outbox"))
            ]

    assert found == []
