"""API tokens: created once and shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow
from core.errors import ConflictError, InvalidInput, NotFound

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
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None: until revoked


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit trail, a role, and for a tier member their team."""

    name: str
    role: str
    team: str | None = None


@dataclass(frozen=True)
class TokenInfo:
    """A token as an admin sees it: never the token itself."""

    name: str
    role: str
    team: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return "hd_" + secrets.token_urlsafe(32)


class SqlTokenStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, name: str, role: str, team: str | None, teams: list[str],
                     expires_at: datetime | None = None) -> str:
        """A new token for `name`; returns the token, which is never stored or shown again."""
        if role not in ROLES:
            raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "tier" and team not in teams:
            raise InvalidInput(f"team: a tier token needs one of {', '.join(teams)}")
        if await self._session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == name)):
            raise InvalidInput(f"name: a token named {name!r} exists already")
        token = _new_token()
        self._session.add(ApiTokenRow(name=name, role=role, team=team if role == "tier" else None,
                                      token_hash=hash_token(token), expires_at=expires_at))
        return token

    async def all(self) -> list[TokenInfo]:
        rows = await self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
        return [TokenInfo(r.name, r.role, r.team, r.created_at, r.expires_at, r.revoked_at) for r in rows]

    async def revoke(self, name: str, now: datetime) -> TokenInfo:
        """Revoke the token: refused from the next request on, in every server process (the row is the truth)."""
        row = await self._row(name)
        if row.revoked_at is None:
            row.revoked_at = now
        return TokenInfo(row.name, row.role, row.team, row.created_at, row.expires_at, row.revoked_at)

    async def rotate(self, name: str, expires_at: datetime | None = None) -> str:
        """A new token in place of the old one (which stops working at once); same owner and role."""
        row = await self._row(name)
        if row.revoked_at is not None:
            raise ConflictError(f"name: the token {name!r} is revoked; create a new one instead")
        token = _new_token()
        row.token_hash = hash_token(token)
        if expires_at is not None:
            row.expires_at = expires_at
        return token

    async def _row(self, name: str) -> ApiTokenRow:
        row = await self._session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
        if row is None:
            raise NotFound(f"no token named {name!r}")
        return row

    async def principal(self, token: str, now: datetime) -> Principal | None:
        return await principal_of(await self._session.connection(), token, now)


async def principal_of(connection: AsyncConnection, token: str, now: datetime) -> Principal | None:
    """Who holds `token`, if it is known, not revoked and not expired at `now` (Core: no ORM compile step).
    Read from the database on every request, never cached, so a revocation holds in every process at once."""
    row = (await connection.execute(_BY_HASH, {"p_hash": hash_token(token), "p_now": now})).first()
    return None if row is None else Principal(row.name, row.role, row.team)


# Every API request asks this: built once, and read as plain columns (no ORM object to load).
_BY_HASH = select(ApiTokenRow.name, ApiTokenRow.role, ApiTokenRow.team).where(
    ApiTokenRow.token_hash == bindparam("p_hash"), ApiTokenRow.revoked_at.is_(None),
    or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > bindparam("p_now", type_=UtcDateTime())))
