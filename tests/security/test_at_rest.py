"""What the server keeps: the SQLite file and the data folder readable by their owner only, and the rate
limiter's memory growing with real callers, not with whatever tokens strangers send."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from core.db import upgrade
from core.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_is_0700_and_its_database_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data")
    upgrade(settings.resolved_database_url())
    assert _mode(settings.data_dir) == 0o700
    assert _mode(settings.data_dir / "helpdesk.db") == 0o600


def test_an_existing_world_readable_database_is_made_0600(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    upgrade(f"sqlite:///{database}")
    assert _mode(database) == 0o600


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_unknown_tokens_are_not_remembered_by_the_rate_limiter(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, str]
) -> None:
    limiter = app.state.helpdesk.api_limiter
    for i in range(300):
        refused = await client.get("/api/tickets", headers={"Authorization": f"Bearer hd_guess{i}"})
        assert refused.status_code == 401
    assert limiter.tracked() == 0
    known = await client.get("/api/tickets", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert known.status_code == 200
    assert limiter.tracked() == 1


async def test_the_api_docs_load_pinned_local_assets_and_nothing_from_a_cdn(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/web/static/swagger-ui/{asset}" in page.text
        served = await client.get(f"/web/static/swagger-ui/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
    assert (await client.get("/redoc")).status_code == 404
