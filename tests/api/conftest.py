"""API fixtures: the real app on the test database, a token per role, tickets filed through the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.tokens import SqlTokenStore
from app.wiring import Services, build_app, build_services
from core.settings import Settings
from tests.fakes import ScriptedChat

ROLE_TOKENS = {"operator": None, "tier": "vendor", "kb_maintainer": None, "admin": None}


@pytest.fixture
async def services(settings: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    settings = settings.model_copy(update={"channel_keys": {"portal": "portal-secret", "other": "other-secret"}})
    built = build_services(settings)
    yield built
    await built.db.dispose()
    if built.read_db is not None:
        await built.read_db.dispose()


@pytest.fixture
def app(services: Services) -> FastAPI:
    return build_app(services)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as c:
        yield c


@pytest.fixture
async def tokens(services: Services) -> dict[str, str]:
    return await make_tokens(services)


async def make_tokens(services: Services) -> dict[str, str]:
    """A token for each role (the tier token belongs to the vendor team)."""
    made = {}
    async with services.sessions() as session, session.begin():
        store = SqlTokenStore(session)
        for role, team in ROLE_TOKENS.items():
            made[role] = await store.create(f"{role}-1", role, team, [t.code for t in services.settings.teams])
    return made


def auth(token: str, version: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return headers


FileTicket = Callable[..., Awaitable[str]]


@pytest.fixture
def file_ticket(services: Services) -> FileTicket:
    return ticket_filer(services)


def ticket_filer(services: Services) -> FileTicket:
    """Files a ticket the way a user does, through the engine, and returns its number."""
    count = 0

    async def file(user: str | None = None, description: str = "bill page shows an error on save") -> str:
        nonlocal count
        count += 1
        chat = ScriptedChat(services.engine, user or f"user{count}")
        await chat.walk_to_confirm(description)
        await chat.pick("file it")
        assert chat.ticket
        return chat.ticket

    return file
