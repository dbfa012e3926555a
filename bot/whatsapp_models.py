"""Tables of the WhatsApp channel: the webhook's inbox, each user's 24-hour window, and what we sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow


class WhatsAppInboxRow(Base):
    """One user message from a webhook delivery, stored (once, by its `wamid`) before Meta gets its 200."""

    __tablename__ = "whatsapp_inbox"
    __table_args__ = (Index("ix_whatsapp_inbox_due", "processed_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    wa_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # moved ahead while leased
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WhatsAppContactRow(Base):
    """A user as WhatsApp knows them: when they last wrote (the 24-hour window) and whether they blocked us."""

    __tablename__ = "whatsapp_contacts"

    wa_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # Meta said 131047 after that
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # operators' files a template outside the window could not carry: sent when the user next writes
    held_files: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)


class WhatsAppSentRow(Base):
    """A message we sent, by Meta's id, with the newest delivery status Meta reported for it."""

    __tablename__ = "whatsapp_sent"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(32), index=True)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    template: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="accepted")  # accepted, sent, delivered, read, failed
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
