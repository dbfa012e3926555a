"""Each test gets its tier marker and that tier's timeout without being marked by hand (tests/tiers.py)."""

from __future__ import annotations

import pytest

from tests.tiers import TIMEOUT_S


def tiers_of(node: pytest.Item) -> list[str]:
    return [mark.name for mark in node.iter_markers() if mark.name in TIMEOUT_S]


def timeout_of(node: pytest.Item) -> float:
    mark = node.get_closest_marker("timeout")
    assert mark is not None
    return float(mark.args[0])


def test_a_test_with_no_database_and_no_process_is_a_unit_test(request: pytest.FixtureRequest) -> None:
    assert tiers_of(request.node) == ["unit"]
    assert timeout_of(request.node) == TIMEOUT_S["unit"]


def test_a_test_on_a_database_is_a_db_test(request: pytest.FixtureRequest, database_url: str) -> None:
    assert tiers_of(request.node) == ["db"]
    assert timeout_of(request.node) == TIMEOUT_S["db"]


def test_a_test_on_a_database_of_its_module_is_a_db_test(request: pytest.FixtureRequest,
                                                         module_database_url: str) -> None:
    assert tiers_of(request.node) == ["db"]


def test_a_test_given_the_database_through_another_fixture_is_a_db_test(
    request: pytest.FixtureRequest, settings: object
) -> None:
    assert tiers_of(request.node) == ["db"]


@pytest.mark.timeout(5)
def test_a_timeout_of_its_own_is_kept(request: pytest.FixtureRequest) -> None:
    assert timeout_of(request.node) == 5


@pytest.mark.e2e
def test_a_tier_marked_by_hand_is_kept(request: pytest.FixtureRequest) -> None:
    assert tiers_of(request.node) == ["e2e"]
    assert timeout_of(request.node) == TIMEOUT_S["e2e"]


def test_a_database_test_starts_on_a_migrated_database_with_no_tickets(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    from core.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 0
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


def test_the_soak_and_fuzz_tests_are_run_first(request: pytest.FixtureRequest) -> None:
    """However the run was selected, no soak or fuzz test comes after one of another tier."""
    long = [bool(set(tiers_of(item)) & {"soak", "fuzz"}) for item in request.session.items]
    assert long == sorted(long, reverse=True)
