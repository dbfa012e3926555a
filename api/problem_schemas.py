"""What the problems API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import EventPublic
from tickets.problem_spotting import Proposal
from tickets.problems import Problem, ProblemEvent

Status = Literal["investigating", "identified", "fixed"]


class ProblemPublic(BaseModel):
    id: int
    title: str
    description: str
    status: str
    team: str
    module: str
    category: str
    priority: str
    ulb: str | None
    workaround: str | None
    jira_key: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    fixed_at: datetime | None
    first_reported_at: datetime | None = Field(description="when the oldest linked ticket was filed")
    version: int
    tickets: list[str] = Field(description="linked ticket numbers, oldest first")

    @classmethod
    def of(cls, problem: Problem) -> ProblemPublic:
        return cls.model_validate(problem, from_attributes=True)


class ProblemDetailPublic(ProblemPublic):
    events: list[EventPublic]

    @classmethod
    def build(cls, problem: Problem, events: list[ProblemEvent]) -> ProblemDetailPublic:
        return cls(**ProblemPublic.of(problem).model_dump(),
                   events=[EventPublic.model_validate(e, from_attributes=True) for e in events])


class ProblemsPublic(BaseModel):
    items: list[ProblemPublic]


class ProblemCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200, examples=["Payment status not updating from JIT"])
    tickets: list[str] = Field(min_length=1, max_length=1000, description="the tickets it is founded on")
    description: str = Field(default="", max_length=4000)
    team: str | None = Field(default=None, description="default: the tickets' most common team")
    workaround: str | None = Field(default=None, max_length=2000)
    jira_key: str | None = Field(default=None, max_length=32, examples=["MUKTA-1234"])
    ulb: str | None = Field(default=None, description="only this ULB's users are told it is known")


class ProblemUpdate(BaseModel):
    """Fields to change; status "fixed" resolves the linked tickets and tells their users."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    status: Status | None = None
    team: str | None = None
    workaround: str | None = Field(default=None, max_length=2000)
    jira_key: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=500)


class TicketsIn(BaseModel):
    tickets: list[str] = Field(min_length=1, max_length=1000, examples=[["HD-000012"]])


class BroadcastIn(BaseModel):
    text: str = Field(min_length=1, max_length=3000, examples=["JIT is back; payments will update by 4 pm."])


class BroadcastPublic(BaseModel):
    users: int = Field(description="users the announcement was queued for (once each)")


class ProposalPublic(BaseModel):
    id: int
    status: str
    module: str
    ulb: str | None
    keywords: list[str]
    tickets: list[str] = Field(description="ticket numbers, the most typical first")
    examples: list[str]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    problem_id: int | None

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalPublic:
        return cls.model_validate(proposal, from_attributes=True)


class ProposalsPublic(BaseModel):
    items: list[ProposalPublic]


class AcceptIn(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200,
                              description="default: the most typical ticket's description")
    team: str | None = None
    workaround: str | None = Field(default=None, max_length=2000)
