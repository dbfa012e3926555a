"""Console accounts: a name, a role from the API's roles, and an Argon2 password hash.

Kept apart from the operators table (shifts, round-robin): KB maintainers and admins sign in too, and
they never take tickets.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.tokens import ROLES, Principal
from core.db import Base, UtcDateTime, utcnow
from core.errors import ConflictError, InvalidInput

MIN_PASSWORD = 10
# Argon2id at OWASP's recommended minimum (19 MiB, 2 passes) rather than argon2-cffi's default (64 MiB, 3): the
# default's 64 MiB per hash was most of a server's peak memory (computing the hash below at import alone
# raised it from ~110 to ~170 MiB, over the 150 MB budget), and would be again at every concurrent sign-in.
# Hashes made with other parameters still verify, and are redone with these at their next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against this when the name is unknown costs the same time as a real check.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class WebAccountRow(Base):
    __tablename__ = "web_accounts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SqlAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, name: str, role: str, password: str, team: str | None, teams: list[str]) -> Principal:
        name = name.strip()
        if not name:
            raise InvalidInput("name: must not be empty")
        if role not in ROLES:
            raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "tier" and team not in teams:
            raise InvalidInput(f"team: a tier account needs one of {', '.join(teams)}")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"password: must be at least {MIN_PASSWORD} characters")
        if await self._session.scalar(select(WebAccountRow.id).where(WebAccountRow.name == name)):
            raise ConflictError(f"name: an account named {name!r} exists already")
        team = team if role == "tier" else None
        hashed = await asyncio.to_thread(_hasher.hash, password)
        self._session.add(WebAccountRow(name=name, role=role, team=team, password_hash=hashed))
        await self._session.flush()
        return Principal(name, role, team)

    async def verify(self, name: str, password: str) -> Principal | None:
        """The account if the password is right (and it is not disabled), else None."""
        row = await self._session.scalar(select(WebAccountRow).where(WebAccountRow.name == name.strip()))
        try:  # in a thread: tens of milliseconds of hashing would otherwise hold up every chat and request
            await asyncio.to_thread(_hasher.verify, row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled_at is not None:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = await asyncio.to_thread(_hasher.hash, password)
        return Principal(row.name, row.role, row.team)

    async def current(self, name: str) -> Principal | None:
        """The account as it is now (a role changed or an account disabled since sign-in takes effect)."""
        row = await self._session.scalar(select(WebAccountRow).where(WebAccountRow.name == name))
        return None if row is None or row.disabled_at is not None else Principal(row.name, row.role, row.team)
