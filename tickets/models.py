"""Ticket tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow

# who did something: a staff name, or "user:" and a channel's user id (an HTTP-chat id is up to 100 characters
# after its integration's name), so wider than either
ACTOR_LENGTH = 255


_ACTIVE = text("status IN ('escalated', 'new', 'open', 'reopened', 'waiting_on_user')")  # lifecycle.ACTIVE_SQL


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_user", "channel", "user_id"),
        Index("ix_tickets_due", "response_due_at", "number"),
        Index("ix_tickets_active_due", "response_due_at", "number", sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        Index("ix_tickets_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)  # search by user; a user's other tickets
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
    version: Mapped[int] = mapped_column(Integer, default=1)
    assignee: Mapped[str | None] = mapped_column(String(64))
    escalated_to: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sla_status: Mapped[str] = mapped_column(String(16), default="on_time")
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pauses: Mapped[list[list[str | None]]] = mapped_column(JsonType, default=list)
    parent_number: Mapped[str | None] = mapped_column(String(32))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    csat_fixed: Mapped[bool | None] = mapped_column(Boolean)
    csat_rating: Mapped[int | None] = mapped_column(Integer)
    csat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    csat_comment: Mapped[str | None] = mapped_column(Text)  # what the user added to their rating
    jira_key: Mapped[str | None] = mapped_column(String(32), index=True)  # the vendor's JIRA issue
    merged_into: Mapped[str | None] = mapped_column(String(32))  # the ticket that tracks this one's problem now


class TicketLinkRow(Base):
    """Two tickets about the same problem: "duplicate" (linked by an operator, both stay open) or "merged"
    (`ticket_id` was merged into `other_id`). Kept one way; a ticket's links are those on either side."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "other_id", name="uq_ticket_links_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SavedFilterRow(Base):
    """A queue filter an operator named and kept ("my open", "P1 this ULB"): the queue's query string."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_saved_filters_owner_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CannedRow(Base):
    """A canned response (tickets.canned): its title and its text in each language (en required)."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(80))
    texts: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)  # language -> text
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


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


class TicketEventRow(Base):
    """The audit trail: every change to a ticket, who made it, and the values before and after."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)


class TicketMessageRow(Base):
    """A message on a ticket after filing: an operator's reply (delivered), an internal note (never
    delivered), or the user's follow-up."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """A message waiting to reach a user in their channel; written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "channel", "user_id", "delivered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(Integer)  # the ticket message it carries (a reply)
    # what the channel reported after delivery (core.channel.RECEIPTS: WhatsApp's sent, delivered, read...)
    receipt: Mapped[str | None] = mapped_column(String(16))
    receipt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    receipt_error: Mapped[str | None] = mapped_column(Text)



class OperatorRow(Base):
    """A person who works tickets: L1 operators and tier-team members, with their shift and away flags."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32), default="operator")
    team: Mapped[str | None] = mapped_column(String(64))
    on_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class NotificationRow(Base):
    """Something an operator must know (an SLA at risk or breached on their ticket), until they read it."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookRow(Base):
    """An integration's endpoint for ticket events; deliveries go through the outbox (channel "webhook")."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
