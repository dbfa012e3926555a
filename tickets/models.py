"""Ticket tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(64))
    ulb: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    module: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(4))
    priority_reason: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    faq_offered: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    faq_rejected: Mapped[list[str]] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(32), default="new")
    team: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeflectionRow(Base):
    """A problem the knowledge base solved: counted, so maintainers see what the FAQ saves."""

    __tablename__ = "deflections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    entry_id: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    ulb: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
