"""Problem tables: a shared cause many tickets link to, its audit trail, and the groups the spotting job
proposes for an operator to accept or dismiss."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime, utcnow
from tickets.models import ACTOR_LENGTH


class ProblemRow(Base):
    """One cause behind many users' reports (ITIL's problem; each ticket is an incident)."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="investigating", index=True)
    team: Mapped[str] = mapped_column(String(64))
    module: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(4))
    ulb: Mapped[str | None] = mapped_column(String(64))  # None: every ULB
    workaround: Mapped[str | None] = mapped_column(Text)
    jira_key: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    fixed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProblemLinkRow(Base):
    """A ticket linked to a problem; a ticket belongs to at most one problem."""

    __tablename__ = "problem_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    linked_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProblemEventRow(Base):
    """The problem's audit trail: who changed what, before and after (a link names its ticket)."""

    __tablename__ = "problem_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)


class ProblemProposalRow(Base):
    """A group of similar open tickets the spotting job found; nothing is linked until a person accepts."""

    __tablename__ = "problem_proposals"
    __table_args__ = (UniqueConstraint("group_key", name="uq_problem_proposals_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(String(64))  # the founding tickets' ids, hashed: proposed once
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    module: Mapped[str] = mapped_column(String(64))
    ulb: Mapped[str | None] = mapped_column(String(64))
    keywords: Mapped[list[str]] = mapped_column(JsonType, default=list)
    ticket_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))
