"""The short crash soak, on every test database: 20 users, 5 SIGKILLs of `helpdesk serve`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.soak.harness import Server, Soak, operator_token, soak_env

USERS, KILLS = 20, 5


def test_killing_the_server_loses_and_duplicates_nothing(database_url: str, tmp_path: Path) -> None:
    env = soak_env(database_url, tmp_path / "data")
    server = Server(env)
    soak = Soak(server, operator_token(env), USERS, KILLS, seed=7)
    try:
        asyncio.run(soak.run(timeout_s=300))
    finally:
        server.stop()
    report = soak.report(database_url)
    assert report.kills == KILLS
    assert report.retries > 0, "no kill landed while a request was in flight"
    assert report.completed == USERS, report.line()
    assert report.tickets == USERS and report.lost == 0 and report.duplicated == 0, report.line()
    assert report.state_mismatches == [] and report.problems == []
    assert report.replies_undelivered == 0 and report.replies_shown_twice == 0, report.line()
