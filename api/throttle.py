"""Sign-in throttling: failed sign-ins counted per account and per client address, in the database.

After `signin_free_failures` failures each further attempt waits (2 s, 4 s, 8 s ... at most 5 minutes) after
the last failure; at the lockout count the key is locked until the lockout ends or an admin lifts it. A
throttled attempt is refused before the password is hashed, so a flood of guesses costs us one read each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.settings import Settings

log = logging.getLogger(__name__)
MAX_DELAY = timedelta(minutes=5)


class SignInFailureRow(Base):
    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)  # "account:<name>" or "address:<ip>"
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without checking the password, and for how long."""

    reason: str  # "locked" or "throttled"
    key: str
    retry_after_s: int


@dataclass(frozen=True)
class Lockout:
    key: str
    failures: int
    locked_until: datetime


def account_key(name: str) -> str:
    return f"account:{name.strip()[:64]}"


def address_key(address: str) -> str:
    return f"address:{address[:64]}"


class SignInThrottle:
    def __init__(self, session: AsyncSession, settings: Settings, now: datetime) -> None:
        self._session, self._settings, self._now = session, settings, now
        self._forget = timedelta(minutes=settings.signin_lockout_minutes)

    async def refusal(self, name: str, address: str) -> Refusal | None:
        """A reason to refuse this attempt before hashing anything, or None to let it be checked."""
        keys = [account_key(name), address_key(address)]
        rows = await self._session.scalars(select(SignInFailureRow).where(SignInFailureRow.key.in_(keys)))
        refusals = [r for row in rows if (r := self._refusal(row)) is not None]
        if not refusals:
            return None
        worst = max(refusals, key=lambda r: (r.reason == "locked", r.retry_after_s))
        log.warning("sign-in refused (%s) for %s: retry in %d s", worst.reason, worst.key, worst.retry_after_s)
        return worst

    def _refusal(self, row: SignInFailureRow) -> Refusal | None:
        now = self._now
        if row.locked_until is not None and row.locked_until > now:
            return Refusal("locked", row.key, _seconds(row.locked_until - now))
        free = (self._settings.signin_free_failures if row.key.startswith("account:")
                else self._settings.signin_address_free_failures)
        if row.last_failure_at <= now - self._forget or row.failures < free:
            return None
        over = row.failures - free
        delay = min(timedelta(seconds=self._settings.signin_delay_seconds * 2 ** min(over, 20)), MAX_DELAY)
        ready = row.last_failure_at + delay
        return Refusal("throttled", row.key, _seconds(ready - now)) if ready > now else None

    async def failed(self, name: str, address: str) -> list[Lockout]:
        """Count a failed attempt against the account and the address; returns any lockout it started."""
        started = []
        for key, limit in ((account_key(name), self._settings.signin_account_lockout),
                           (address_key(address), self._settings.signin_address_lockout)):
            failures = await self._count(key)
            if failures >= limit:
                until = self._now + self._forget
                await self._session.execute(update(SignInFailureRow).where(SignInFailureRow.key == key)
                                            .values(locked_until=until))
                log.warning("sign-in lockout: %s after %d failed attempts, until %s", key, failures,
                            until.isoformat(timespec="seconds"))
                started.append(Lockout(key, failures, until))
        return started

    async def _count(self, key: str) -> int:
        """failures + 1 (or 1 if the last failure is forgotten), in one statement, safe between processes."""
        table = SignInFailureRow.__table__
        dialect = (await self._session.connection()).dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stale = table.c.last_failure_at <= self._now - self._forget
        statement = (insert(table).values(key=key, failures=1, last_failure_at=self._now)
                     .on_conflict_do_update(index_elements=[table.c.key], set_={
                         "failures": case((stale, 1), else_=table.c.failures + 1),
                         "last_failure_at": self._now,
                         "locked_until": case((stale, None), else_=table.c.locked_until)})
                     .returning(table.c.failures))
        return int((await self._session.execute(statement)).scalar_one())

    async def succeeded(self, name: str) -> None:
        """The account's failures are forgotten (the address's stay: one good password must not reset the
        count of guesses at other accounts)."""
        await self._session.execute(delete(SignInFailureRow).where(SignInFailureRow.key == account_key(name)))


async def unlock(session: AsyncSession, key: str) -> bool:
    """Lift a lockout and forget the failures of `key`; True if there was anything to lift."""
    result = await session.execute(delete(SignInFailureRow).where(SignInFailureRow.key == key))
    return bool(getattr(result, "rowcount", 0))


async def lockouts(session: AsyncSession, now: datetime) -> list[Lockout]:
    rows = await session.scalars(select(SignInFailureRow).where(SignInFailureRow.locked_until > now)
                                 .order_by(SignInFailureRow.key))
    return [Lockout(r.key, r.failures, r.locked_until) for r in rows if r.locked_until is not None]


async def lockout_counts(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Keys locked now, by kind ("account", "address"), for /metrics."""
    kind = func.substr(SignInFailureRow.key, 1, 7)
    rows = await session.execute(select(kind, func.count()).where(SignInFailureRow.locked_until > now).group_by(kind))
    counts = {"account": 0, "address": 0}
    for prefix, count in rows:
        counts["account" if prefix == "account" else "address"] += int(count)
    return counts


def _seconds(span: timedelta) -> int:
    return max(1, int(span.total_seconds() + 0.999))
