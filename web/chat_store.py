"""What the web chat keeps per browser: its conversation's language and resume code, and the bubbles its page
redraws after a reload (the engine's transcript is per problem and holds no photos, tickets or choices)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow
from core.messages import Reply

HISTORY_LIMIT = 300  # bubbles a page redraws; older ones stay in the ticket's transcript
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from another screen
CODE_LENGTH = 8


class WebChatRow(Base):
    __tablename__ = "web_chats"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    resume_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_web_chats_resume_code", "resume_code", unique=True),)


class WebChatLineRow(Base):
    __tablename__ = "web_chat_lines"
    __table_args__ = (Index("ix_web_chat_lines_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    side: Mapped[str] = mapped_column(String(8))  # "me" (the user) or "bot" (the bot or an operator)
    text: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(32))
    photo: Mapped[str | None] = mapped_column(String(80))  # an attachment store reference
    choices: Mapped[list[dict[str, str]] | None] = mapped_column(JsonType)


@dataclass(frozen=True)
class Line:
    """One bubble as the page draws it; `id` orders bubbles and tells the page which it already has."""

    side: str
    text: str
    at: datetime
    id: int = 0
    ticket: str | None = None
    photo: str | None = None
    choices: tuple[dict[str, str], ...] = field(default=())


def bot_lines(replies: Sequence[Reply], at: datetime) -> list[Line]:
    """A bubble per reply, or per part of a reply in parts (its choices and ticket on the last one)."""
    lines = []
    for reply in replies:
        *before, last = reply.parts or (reply.text,)
        lines += [Line("bot", part, at) for part in before]
        lines.append(Line("bot", last, at, ticket=reply.ticket,
                          choices=tuple({"id": c.id, "label": c.label} for c in reply.choices)))
    return lines


class ChatHistory:
    """The web chat's rows; every method is its own short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self.clock = clock

    async def start(self, user_id: str, language: str) -> None:
        async with self._sessions() as s, s.begin():
            s.add(WebChatRow(user_id=user_id, language=language, created_at=self.clock()))

    async def language(self, user_id: str) -> str | None:
        """The conversation's language, or None for a browser that never sent a message."""
        async with self._sessions() as s:
            found: str | None = await s.scalar(select(WebChatRow.language).where(WebChatRow.user_id == user_id))
            return found

    async def set_language(self, user_id: str, language: str) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(update(WebChatRow).where(WebChatRow.user_id == user_id).values(language=language))

    async def resume_code(self, user_id: str) -> tuple[str, bool]:
        """The conversation's code for getting back in on another device, and whether it was made just now."""
        async with self._sessions() as s:
            found = await s.scalar(select(WebChatRow.resume_code).where(WebChatRow.user_id == user_id))
        if found:
            return found, False
        for _ in range(5):  # a clash among 32^8 codes is rare; try again with another
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                async with self._sessions() as s, s.begin():
                    await s.execute(update(WebChatRow).where(WebChatRow.user_id == user_id).values(resume_code=code))
                return code, True
            except IntegrityError:
                continue
        raise RuntimeError("could not make a unique resume code")

    async def user_of_code(self, code: str) -> str | None:
        wanted = normal_code(code)
        if len(wanted) != CODE_LENGTH:
            return None
        async with self._sessions() as s:
            found: str | None = await s.scalar(select(WebChatRow.user_id).where(WebChatRow.resume_code == wanted))
            return found

    async def add(self, user_id: str, lines: Sequence[Line]) -> list[Line]:
        """Store bubbles in order; returns them with their ids."""
        rows = [WebChatLineRow(user_id=user_id, at=line.at, side=line.side, text=line.text, ticket=line.ticket,
                               photo=line.photo, choices=list(line.choices) or None) for line in lines]
        async with self._sessions() as s, s.begin():
            s.add_all(rows)
            await s.flush()
            return [_line(row) for row in rows]

    async def lines(self, user_id: str, after: int = 0) -> list[Line]:
        """The newest bubbles (at most HISTORY_LIMIT) after the id `after`, oldest first."""
        query = (select(WebChatLineRow).where(WebChatLineRow.user_id == user_id, WebChatLineRow.id > after)
                 .order_by(WebChatLineRow.id.desc()).limit(HISTORY_LIMIT))
        async with self._sessions() as s:
            rows = list(await s.scalars(query))
        return [_line(row) for row in reversed(rows)]

    async def has_photo(self, user_id: str, ref: str) -> bool:
        """Whether this conversation sent the photo `ref` (a browser may see only its own)."""
        async with self._sessions() as s:
            found: Any = await s.scalar(select(WebChatLineRow.id).where(
                WebChatLineRow.user_id == user_id, WebChatLineRow.photo == ref).limit(1))
            return found is not None


def normal_code(code: str) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form."""
    return "".join(ch for ch in code.upper() if ch.isalnum())[:CODE_LENGTH + 2]


def _line(row: WebChatLineRow) -> Line:
    return Line(row.side, row.text, row.at, row.id, row.ticket, row.photo, tuple(row.choices or ()))
