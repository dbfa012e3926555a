"""Console accounts: Argon2-hashed passwords, roles from the API's list, clear refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.accounts import SqlAccounts, WebAccountRow
from api.tokens import Principal
from core.errors import ConflictError, InvalidInput

TEAMS = ["vendor", "state_technical"]


async def test_the_right_password_signs_in_and_a_wrong_one_or_unknown_name_does_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s, s.begin():
        await SqlAccounts(s).create("meera", "tier", "long enough secret", "vendor", TEAMS)
    async with sessions() as s, s.begin():
        accounts = SqlAccounts(s)
        assert await accounts.verify("meera", "long enough secret") == Principal("meera", "tier", "vendor")
        assert await accounts.verify("meera", "long enough secreT") is None
        assert await accounts.verify("nobody", "long enough secret") is None
        stored = await s.scalar(select(WebAccountRow.password_hash))
    assert stored is not None and stored.startswith("$argon2") and "long enough" not in stored


@pytest.mark.parametrize(("name", "role", "password", "team", "field"), [
    ("asha", "operator", "short", None, "password"),
    ("asha", "superuser", "long enough secret", None, "role"),
    ("asha", "tier", "long enough secret", "nowhere", "team"),
    ("  ", "operator", "long enough secret", None, "name"),
])
async def test_an_invalid_account_is_refused_naming_the_field(
    sessions: async_sessionmaker[AsyncSession], name: str, role: str, password: str, team: str | None, field: str
) -> None:
    async with sessions() as s, s.begin():
        with pytest.raises(InvalidInput, match=f"^{field}:"):
            await SqlAccounts(s).create(name, role, password, team, TEAMS)


async def test_a_second_account_with_the_same_name_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s, s.begin():
        await SqlAccounts(s).create("asha", "admin", "long enough secret", None, TEAMS)
    async with sessions() as s, s.begin():
        with pytest.raises(ConflictError, match="exists already"):
            await SqlAccounts(s).create("asha", "operator", "another long secret", None, TEAMS)
