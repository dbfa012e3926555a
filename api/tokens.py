"""API tokens: created once and shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow
from core.errors import InvalidInput

ROLES = ("operator", "tier", "kb_maintainer", "admin")


class ApiTokenRow(Base):
    """A token's owner, role and hash (tokens are long random strings, so a fast hash is safe here)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit trail, a role, and for a tier member their team."""

    name: str
    role: str
    team: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlTokenStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, name: str, role: str, team: str | None, teams: list[str]) -> str:
        """A new token for `name`; returns the token, which is never stored or shown again."""
        if role not in ROLES:
            raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "tier" and team not in teams:
            raise InvalidInput(f"team: a tier token needs one of {', '.join(teams)}")
        if await self._session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name)):
            raise InvalidInput(f"name: a token named {name!r} exists already")
        token = "hd_" + secrets.token_urlsafe(32)
        self._session.add(ApiTokenRow(name=name, role=role, team=team if role == "tier" else None,
                                      token_hash=hash_token(token)))
        return token

    async def principal(self, token: str) -> Principal | None:
        return await principal_of(await self._session.connection(), token)


async def principal_of(connection: AsyncConnection, token: str) -> Principal | None:
    """Who holds `token`, if it is known and not revoked (on a connection: Core, no ORM compile step)."""
    row = (await connection.execute(_BY_HASH, {"p_hash": hash_token(token)})).first()
    return None if row is None else Principal(row.name, row.role, row.team)


# Every API request asks this: built once, and read as plain columns (no ORM object to load).
_BY_HASH = select(ApiTokenRow.name, ApiTokenRow.role, ApiTokenRow.team).where(
    ApiTokenRow.token_hash == bindparam("p_hash"), ApiTokenRow.revoked_at.is_(None))
