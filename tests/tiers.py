"""Every test's tier, as a marker, and the timeout that goes with it, given by where the test lives and what it
uses, so a new test is classified without anyone remembering to mark it.

- soak, fuzz: the tests under tests/soak and tests/fuzz;
- browser: a test that drives Chromium (the `browser` or `page` fixture);
- e2e: a test that starts `helpdesk` as a real process (its module uses subprocess, tests.serving or
  tests.jsonchat, or it takes the `server` fixture);
- db: a test on a real database (the `database_url` or `module_database_url` fixture, directly or through
  another fixture);
- unit: the rest.

A test marked by hand with a tier keeps it; one marked `timeout(...)` by hand keeps its timeout.
`pytest -m unit`, `-m "unit or db"`, `-m "not soak"` select by tier (markers are registered in pyproject.toml,
with `--strict-markers`).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).resolve().parent
# seconds. A timeout is there to end a hang, not to time a test, so these leave room for a shared machine: on
# 2 cores at load 20 the slowest e2e tests took 110 s, the short soak 290 s and the engine state machine 1,390 s
# (about 10x their times on a quiet machine)
TIMEOUT_S = {"unit": 60, "db": 180, "e2e": 300, "browser": 300, "fuzz": 1800, "soak": 900}
DIRECTORY_TIERS = ("soak", "fuzz")
BROWSER_FIXTURES = frozenset({"browser", "page"})
PROCESS_FIXTURES = frozenset({"server"})
DATABASE_FIXTURES = frozenset({"database_url", "module_database_url"})
PROCESS_MODULES = frozenset({"subprocess", "tests.serving", "tests.jsonchat", "tests.telegram.serving"})


def tier_of(item: pytest.Item) -> str:
    marked = [mark.name for mark in item.iter_markers() if mark.name in TIMEOUT_S]
    if marked:
        return marked[0]
    parts = item.path.resolve().relative_to(TESTS).parts
    if parts[0] in DIRECTORY_TIERS:
        return parts[0]
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & BROWSER_FIXTURES:
        return "browser"
    if fixtures & PROCESS_FIXTURES or _starts_processes(getattr(item, "module", None)):
        return "e2e"
    if fixtures & DATABASE_FIXTURES:
        return "db"
    return "unit"


def _starts_processes(module: ModuleType | None) -> bool:
    if module is None:
        return False
    for value in vars(module).values():
        source = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if source in PROCESS_MODULES:
            return True
    return False


def mark_tiers(items: list[pytest.Item]) -> None:
    """Adds each item's tier marker, and its tier's timeout unless it has one of its own."""
    for item in items:
        tier = tier_of(item)
        if item.get_closest_marker(tier) is None:
            item.add_marker(getattr(pytest.mark, tier))
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIMEOUT_S[tier]))


def longest_first(items: list[pytest.Item]) -> None:
    """Puts the soak and fuzz modules first, each module's tests still together and in order: they are the
    longest tests (minutes each), and one started last under `pytest -n` keeps one worker busy alone at the end."""
    items.sort(key=lambda item: tier_of(item) not in DIRECTORY_TIERS)
