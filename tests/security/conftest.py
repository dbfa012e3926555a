"""Two server instances on one database, as two `helpdesk serve` processes would be, each on a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.wiring import Services, build_app, build_services
from tests.api.conftest import app, client, file_ticket, services, tokens  # noqa: F401 (the real app, in process)
from tests.security.identity_helpers import FixedClock, use_clock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def other_app(services: Services, clock: FixedClock) -> AsyncIterator[FastAPI]:  # noqa: F811
    """A second app with services of its own (its own engine and connections) on the same database."""
    built = build_services(services.settings)
    second = build_app(built)
    use_clock(second, clock)
    yield second
    await built.db.dispose()
    if built.read_db is not None:
        await built.read_db.dispose()


@pytest.fixture
def first_app(app: FastAPI, clock: FixedClock) -> FastAPI:  # noqa: F811
    use_clock(app, clock)
    return app
