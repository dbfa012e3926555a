"""The voice line's table: one row per call (where the call is on the phone, so that any server process can
answer the next webhook). What a caller told us (language, role, ULB) is their conversation's profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow


class VoiceCallRow(Base):
    __tablename__ = "voice_calls"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


@dataclass
class CallState:
    """A call's place on the phone (`state`: bot.voice FLOW, MENU or DONE) and what it needs to ask again;
    `data` is JSON."""

    sid: str
    caller: str
    state: str
    language: str
    data: dict[str, Any] = field(default_factory=dict)


class SqlVoiceStore:
    """Calls and caller profiles, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, sid: str) -> CallState | None:
        """The call's state, its row locked (FOR UPDATE on PostgreSQL) until the transaction ends."""
        row = await self._session.scalar(
            select(VoiceCallRow).where(VoiceCallRow.call_sid == sid).with_for_update()
        )
        if row is None:
            return None
        return CallState(row.call_sid, row.caller, row.state, row.language, dict(row.data or {}))

    async def save(self, call: CallState) -> None:
        row = await self._session.get(VoiceCallRow, call.sid)
        if row is None:
            self._session.add(VoiceCallRow(call_sid=call.sid, caller=call.caller, state=call.state,
                                           language=call.language, data=call.data))
        else:
            row.state, row.language, row.data = call.state, call.language, dict(call.data)
            row.version += 1
            row.updated_at = utcnow()
        await self._session.flush()
