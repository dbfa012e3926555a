"""Console accounts: a name, a role from the API's roles, and an Argon2 password hash.

Kept apart from the operators table (shifts, round-robin): KB maintainers and admins sign in too, and
they never take tickets.
"""

from __future__ import annotations

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
_hasher = PasswordHasher()
# Verifying against this when the name is unknown costs the same time as a real check.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


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
        self._session.add(WebAccountRow(name=name, role=role, team=team, password_hash=_hasher.hash(password)))
        await self._session.flush()
        return Principal(name, role, team)

    async def verify(self, name: str, password: str) -> Principal | None:
        """The account if the password is right (and it is not disabled), else None."""
        row = await self._session.scalar(select(WebAccountRow).where(WebAccountRow.name == name.strip()))
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled_at is not None:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        return Principal(row.name, row.role, row.team)

    async def current(self, name: str) -> Principal | None:
        """The account as it is now (a role changed or an account disabled since sign-in takes effect)."""
        row = await self._session.scalar(select(WebAccountRow).where(WebAccountRow.name == name))
        return None if row is None or row.disabled_at is not None else Principal(row.name, row.role, row.team)
