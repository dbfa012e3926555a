"""The people who work tickets: L1 operators and tier-team members, with their shift and away flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import ConflictError, InvalidInput, NotFound
from core.settings import Settings
from tickets.models import OperatorRow

OPERATOR_ROLES = ("operator", "tier")


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    team: str | None
    on_shift: bool
    away: bool
    last_assigned_at: datetime | None
    created_at: datetime


def _operator(row: OperatorRow) -> Operator:
    return Operator(row.name, row.role, row.team, row.on_shift, row.away, row.last_assigned_at, row.created_at)


class SqlOperators:
    """Operators inside the caller's transaction."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings

    async def all(self) -> list[Operator]:
        rows = await self._session.scalars(select(OperatorRow).order_by(OperatorRow.name))
        return [_operator(r) for r in rows]

    async def get(self, name: str) -> Operator:
        return _operator(await self._row(name))

    async def create(self, name: str, role: str, team: str | None = None) -> Operator:
        """A new operator, off shift; a tier member needs one of the configured teams."""
        name = name.strip()
        if not name:
            raise InvalidInput("name: must not be empty")
        if role not in OPERATOR_ROLES:
            raise InvalidInput(f"role: must be one of {', '.join(OPERATOR_ROLES)}, not {role!r}")
        self._check_team(role, team)
        if await self._session.scalar(select(OperatorRow.id).where(OperatorRow.name == name)):
            raise ConflictError(f"name: an operator named {name!r} exists already")
        row = OperatorRow(name=name, role=role, team=team, on_shift=False, away=False, created_at=utcnow())
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as err:  # created by someone else in the meantime
            raise ConflictError(f"name: an operator named {name!r} exists already") from err
        return _operator(row)

    async def set_availability(self, name: str, on_shift: bool | None = None, away: bool | None = None) -> Operator:
        """Start or end a shift, or step away and back; None leaves a flag as it is."""
        row = await self._row(name, for_update=True)
        if on_shift is not None:
            row.on_shift = on_shift
        if away is not None:
            row.away = away
        await self._session.flush()
        return _operator(row)

    async def _row(self, name: str, *, for_update: bool = False) -> OperatorRow:
        query = select(OperatorRow).where(OperatorRow.name == name)
        row = await self._session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise NotFound(f"no operator {name!r}")
        return row

    def _check_team(self, role: str, team: str | None) -> None:
        teams = [t.code for t in self._settings.teams]
        if role == "tier" and team not in teams:
            raise InvalidInput(f"team: a tier member needs one of {', '.join(teams)}, not {team!r}")
        if role == "operator" and team not in (None, self._settings.l1_team):
            raise InvalidInput(f"team: an L1 operator belongs to {self._settings.l1_team!r} (or give no team)")
