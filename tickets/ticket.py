"""A ticket as the domain sees it: the draft the conversation files, and the filed ticket (tickets.store keeps
them; events and webhooks read them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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
    parent_number: str | None = None  # the earlier ticket this one follows up


@dataclass(frozen=True)
class Ticket(TicketDraft):
    number: str = ""
    status: str = "new"
    created_at: datetime | None = None
    version: int = 1
    assignee: str | None = None
    escalated_to: str | None = None
    updated_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    sla_status: str = "on_time"
    waiting_since: datetime | None = None
    pauses: list[list[str | None]] = field(default_factory=list)
    escalation_level: int = 0
    csat_fixed: bool | None = None
    csat_rating: int | None = None
    csat_at: datetime | None = None
    csat_comment: str | None = None
    jira_key: str | None = None
    merged_into: str | None = None  # the ticket that tracks this one's problem now

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data
