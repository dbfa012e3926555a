"""Tables of the e-mail channel: the mailbox's position, the mails fetched (once each), what each sender is
in the middle of, and the mails we sent (for threading replies back to their ticket)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow


class EmailMailboxRow(Base):
    """How far the mailbox has been read: the highest UID stored, under the folder's UIDVALIDITY."""

    __tablename__ = "email_mailbox"

    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uid_validity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EmailInboxRow(Base):
    """One fetched mail, stored once by its Message-ID (or digest) with its UID, then answered by a worker."""

    __tablename__ = "email_inbox"
    __table_args__ = (Index("ix_email_inbox_due", "processed_at", "due_at"),
                      Index("ix_email_inbox_sender", "sender", "received_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    uid: Mapped[int] = mapped_column(BigInteger)
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    sender: Mapped[str] = mapped_column(String(320))
    raw_ref: Mapped[str | None] = mapped_column(String(255))  # the whole mail in the attachment store
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    too_large: Mapped[bool] = mapped_column(Boolean, default=False)  # only its headers were fetched
    headers: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # moved ahead while leased
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # the reply mail, kept before it is sent
    outcome: Mapped[str | None] = mapped_column(String(64))  # answered, automatic, bounce, rate_limited...
    last_error: Mapped[str | None] = mapped_column(Text)


class EmailContactRow(Base):
    """A sender: their language, answers and description kept until the conversation can take them, and
    whether mail to them bounces."""

    __tablename__ = "email_contacts"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8))
    pending: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    limited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last "too many mails" notice
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EmailSentRow(Base):
    """A mail we sent: its Message-ID and body marker, whom to, the ticket it concerns and the choices it
    offered (a reply's "2" picks the second)."""

    __tablename__ = "email_sent"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    ticket: Mapped[str | None] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list[dict[str, str]]] = mapped_column(JsonType, default=list)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
