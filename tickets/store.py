"""Storing and reading tickets and deflections."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from tickets.models import DeflectionRow, TicketRow


@dataclass(frozen=True)
class TicketDraft:
    """Everything the conversation collected, ready to be filed."""

    channel: str
    user_id: str
    role: str | None
    ulb: str | None
    language: str
    module: str
    category: str
    priority: str
    priority_reason: str
    description: str
    team: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    faq_offered: list[dict[str, Any]] = field(default_factory=list)
    faq_rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ticket(TicketDraft):
    number: str = ""
    status: str = "new"
    created_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        channel=row.channel,
        user_id=row.user_id,
        role=row.role,
        ulb=row.ulb,
        language=row.language,
        module=row.module,
        category=row.category,
        priority=row.priority,
        priority_reason=row.priority_reason,
        description=row.description,
        team=row.team,
        attachments=list(row.attachments or []),
        transcript=list(row.transcript or []),
        faq_offered=list(row.faq_offered or []),
        faq_rejected=list(row.faq_rejected or []),
        number=row.number or "",
        status=row.status,
        created_at=row.created_at,
    )


class TicketStore(Protocol):
    async def file(self, draft: TicketDraft) -> Ticket: ...
    async def get(self, number: str) -> Ticket: ...
    async def recent(self, limit: int = 50) -> list[Ticket]: ...
    async def for_user(self, channel: str, user_id: str, limit: int = 10) -> list[Ticket]: ...
    async def record_deflection(
        self, channel: str, user_id: str, entry_id: str, description: str, ulb: str | None
    ) -> None: ...
    async def count_deflections(self) -> int: ...
    async def descriptions(self, limit: int = 5000) -> list[str]: ...


class SqlTicketStore:
    """Tickets in the SQL database, inside the caller's transaction."""

    def __init__(self, session: AsyncSession, prefix: str = "HD") -> None:
        self._session = session
        self._prefix = prefix

    async def file(self, draft: TicketDraft) -> Ticket:
        """Insert the ticket; its number comes from the database's own identity, never max()+1."""
        row = TicketRow(**asdict(draft), status="new")
        self._session.add(row)
        await self._session.flush()
        row.number = f"{self._prefix}-{row.id:06d}"
        await self._session.flush()
        return _ticket(row)

    async def get(self, number: str) -> Ticket:
        row = await self._session.scalar(select(TicketRow).where(TicketRow.number == number.upper()))
        if row is None:
            raise NotFound(f"no ticket {number}")
        return _ticket(row)

    async def recent(self, limit: int = 50) -> list[Ticket]:
        rows = await self._session.scalars(select(TicketRow).order_by(TicketRow.id.desc()).limit(limit))
        return [_ticket(r) for r in rows]

    async def for_user(self, channel: str, user_id: str, limit: int = 10) -> list[Ticket]:
        query = (
            select(TicketRow)
            .where(TicketRow.channel == channel, TicketRow.user_id == user_id)
            .order_by(TicketRow.id.desc())
            .limit(limit)
        )
        return [_ticket(r) for r in await self._session.scalars(query)]

    async def record_deflection(
        self, channel: str, user_id: str, entry_id: str, description: str, ulb: str | None
    ) -> None:
        row = DeflectionRow(channel=channel, user_id=user_id, entry_id=entry_id, description=description, ulb=ulb)
        self._session.add(row)

    async def count_deflections(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(DeflectionRow)) or 0)

    async def descriptions(self, limit: int = 5000) -> list[str]:
        """Descriptions of filed tickets (the problems the FAQ did not deflect), newest first."""
        query = select(TicketRow.description).order_by(TicketRow.id.desc()).limit(limit)
        return list(await self._session.scalars(query))
