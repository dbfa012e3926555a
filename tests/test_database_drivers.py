"""Only core.db knows which database it talks to: no other module of ours imports a database driver.

import-linter checks the drivers our packages import (pyproject.toml); this also covers a driver none of them
imports yet (psycopg, which SQLAlchemy loads by name) and bench/, which is not one of import-linter's packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = {"sqlite3", "aiosqlite", "psycopg", "psycopg2", "asyncpg"}
ALLOWED = ("core/db/", "tests/", ".venv/", "build/")


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_outside_core_db_imports_a_database_driver() -> None:
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(ALLOWED):
            continue
        if drivers := imported(path) & DRIVERS:
            found[relative] = sorted(drivers)
    assert found == {}
