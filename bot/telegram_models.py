"""Tables of the Telegram channel: the webhook's inbox of updates, and what the bot knows per chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow


class TelegramUpdateRow(Base):
    """An update the webhook accepted; stored before the 200, processed after (`processed_at`)."""

    __tablename__ = "telegram_updates"
    __table_args__ = (Index("ix_telegram_updates_due", "processed_at", "due_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # moved ahead while leased
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class TelegramChatRow(Base):
    """Per private chat: the ULB a deep link named (until the bot asks for it), and whether the user
    blocked the bot."""

    __tablename__ = "telegram_chats"

    chat_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    start_ulb: Mapped[str | None] = mapped_column(String(64))
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TelegramTopicRow(Base):
    """A ticket's topic in the operators' supergroup."""

    __tablename__ = "telegram_topics"

    ticket_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
