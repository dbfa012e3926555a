"""An admin's work on console accounts: list, disable, enable, change role or password, lift a lockout.

Disabling an account and changing its password end every session it has (api.server_sessions), so the
change holds from the next request in every server process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts import MIN_PASSWORD, WebAccountRow, hash_password
from api.server_sessions import end_every_session
from api.throttle import account_key, lockouts, unlock
from api.tokens import ROLES
from core.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountInfo:
    name: str
    role: str
    team: str | None
    created_at: datetime
    disabled_at: datetime | None
    locked_until: datetime | None


class AccountAdmin:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self._session, self._now = session, now

    async def all(self) -> list[AccountInfo]:
        rows = await self._session.scalars(select(WebAccountRow).order_by(WebAccountRow.name))
        locked = {lock.key: lock.locked_until for lock in await lockouts(self._session, self._now)}
        return [AccountInfo(r.name, r.role, r.team, r.created_at, r.disabled_at, locked.get(account_key(r.name)))
                for r in rows]

    async def disable(self, name: str) -> int:
        """Disable the account and end its sessions; returns how many sessions ended."""
        row = await self._row(name)
        if row.disabled_at is None:
            row.disabled_at = self._now
        ended = await end_every_session(self._session, row.id)
        log.info("account %s disabled; %d sessions ended", name, ended)
        return ended

    async def enable(self, name: str) -> None:
        (await self._row(name)).disabled_at = None

    async def set_role(self, name: str, role: str, team: str | None, teams: list[str]) -> None:
        """A new role (and team, for tier); it applies from the account's next request."""
        if role not in ROLES:
            raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "tier" and team not in teams:
            raise InvalidInput(f"team: a tier account needs one of {', '.join(teams)}")
        row = await self._row(name)
        row.role, row.team = role, team if role == "tier" else None

    async def set_password(self, name: str, password: str) -> int:
        """A new password; every session of the account ends (whoever knew the old one is signed out)."""
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"password: must be at least {MIN_PASSWORD} characters")
        row = await self._row(name)
        row.password_hash = await asyncio.to_thread(hash_password, password)
        return await end_every_session(self._session, row.id)

    async def unlock(self, name: str) -> bool:
        await self._row(name)
        return await unlock(self._session, account_key(name))

    async def _row(self, name: str) -> WebAccountRow:
        row = await self._session.scalar(select(WebAccountRow).where(WebAccountRow.name == name))
        if row is None:
            raise NotFound(f"no account named {name!r}")
        return row
