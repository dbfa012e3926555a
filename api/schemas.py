"""What the API takes and returns (FastAPI's schema families: *Public out, *In / *Update in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tickets.desk import TicketEvent, TicketMessage
from tickets.queue import QueueEntry
from tickets.store import Ticket


class TicketPublic(BaseModel):
    """A ticket as the queue shows it."""

    number: str
    status: str
    priority: str
    priority_reason: str
    category: str
    module: str
    ulb: str | None
    channel: str
    user_id: str
    language: str
    team: str
    assignee: str | None
    escalated_to: str | None
    description: str
    created_at: datetime | None
    updated_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    sla_status: str
    version: int
    jira_key: str | None = Field(default=None, description="the vendor's JIRA issue, once handed off")

    @classmethod
    def of(cls, ticket: Ticket | QueueEntry) -> TicketPublic:
        return cls.model_validate(ticket, from_attributes=True)


class TicketsPublic(BaseModel):
    items: list[TicketPublic]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class MessagePublic(BaseModel):
    at: datetime
    author: str
    kind: str = Field(description="reply (delivered to the user), note (internal), user (the user's follow-up)")
    text: str
    attachments: list[dict[str, Any]] = Field(default_factory=list, description="files an operator sent with it")
    delivery: str | None = Field(default=None, description=(
        "a reply's delivery to the user: queued, delivered, failed, or what the channel reported after "
        "(accepted, sent, delivered, read, failed: WhatsApp's statuses; never back to an earlier one)"))


class EventPublic(BaseModel):
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None


class TicketDetailPublic(TicketPublic):
    """A ticket with everything an operator needs so that the user never repeats themselves."""

    role: str | None
    transcript: list[dict[str, Any]]
    faq_offered: list[dict[str, Any]]
    faq_rejected: list[str]
    attachments: list[dict[str, Any]]
    messages: list[MessagePublic]
    events: list[EventPublic]

    @classmethod
    def build(cls, ticket: Ticket, messages: list[TicketMessage], events: list[TicketEvent]) -> TicketDetailPublic:
        data = TicketPublic.of(ticket).model_dump()
        return cls(
            **data, role=ticket.role, transcript=ticket.transcript, faq_offered=ticket.faq_offered,
            faq_rejected=ticket.faq_rejected, attachments=ticket.attachments,
            messages=[MessagePublic.model_validate(m, from_attributes=True) for m in messages],
            events=[EventPublic.model_validate(e, from_attributes=True) for e in events],
        )


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000, examples=["Please open Bills -> Search and try again."])


class OptionalTextIn(BaseModel):
    text: str | None = Field(default=None, max_length=4000)


class AssignIn(BaseModel):
    operator: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=500,
                               description="required when the ticket is assigned to someone else already")


class ClaimIn(BaseModel):
    take_over: bool = Field(default=False, description="take the ticket from the operator who holds it (without "
                            "it, claiming someone else's ticket is refused with 409 take_over_required)")
    reason: str | None = Field(default=None, max_length=500)


class LinkIn(BaseModel):
    other: str = Field(min_length=1, max_length=32, examples=["HD-000042"])


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=32, examples=["HD-000042"],
                      description="the ticket that tracks the problem from now on")
    reason: str | None = Field(default=None, max_length=500)


class PriorityIn(BaseModel):
    priority: str = Field(pattern="^P[1-4]$", examples=["P1"])
    reason: str = Field(min_length=1, max_length=500)


class CategoryIn(BaseModel):
    category: str = Field(examples=["bug"])
    reason: str = Field(min_length=1, max_length=500)


class EscalateIn(BaseModel):
    team: str = Field(examples=["vendor"])
    reason: str | None = Field(default=None, max_length=500)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ErrorPublic(BaseModel):
    error: str
    message: str
