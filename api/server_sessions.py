"""Console sessions kept on the server: the cookie holds only a random id, the row says who and until when.

Signing out, disabling the account and changing its password delete the rows, so each ends the session
on the next request in every server process.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.accounts import WebAccountRow
from api.tokens import Principal
from core.db import Base, UtcDateTime

LIFETIME = timedelta(hours=12)  # one working day


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's value
    account_id: Mapped[int] = mapped_column(ForeignKey("web_accounts.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


async def begin_session(session: AsyncSession, name: str, now: datetime) -> str:
    """A new session for the account `name`; returns the cookie's value (stored only as its hash)."""
    account_id = await session.scalar(select(WebAccountRow.id).where(WebAccountRow.name == name))
    if account_id is None:
        raise LookupError(name)
    await session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))  # keep the table small
    cookie = secrets.token_urlsafe(32)
    session.add(WebSessionRow(id=_key(cookie), account_id=account_id, csrf=secrets.token_urlsafe(24),
                              created_at=now, expires_at=now + LIFETIME))
    return cookie


async def session_of(session: AsyncSession, cookie: str, now: datetime) -> tuple[Principal, str] | None:
    """The account (as it is now: its current role) and the CSRF token of a live session, else None."""
    query = (select(WebAccountRow.name, WebAccountRow.role, WebAccountRow.team, WebSessionRow.csrf)
             .join(WebAccountRow, WebAccountRow.id == WebSessionRow.account_id)
             .where(WebSessionRow.id == _key(cookie), WebSessionRow.expires_at > now,
                    WebAccountRow.disabled_at.is_(None)))
    row = (await session.execute(query)).first()
    return None if row is None else (Principal(row.name, row.role, row.team), row.csrf)


async def end_session(session: AsyncSession, cookie: str) -> None:
    await session.execute(delete(WebSessionRow).where(WebSessionRow.id == _key(cookie)))


async def end_every_session(session: AsyncSession, account_id: int) -> int:
    """End all of an account's sessions (disabled, or its password changed); returns how many."""
    result = await session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == account_id))
    return int(getattr(result, "rowcount", 0) or 0)
