"""Operator routes: the roster with shifts and away flags, and each caller's notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from api.deps import Caller, Context, RowId, Session
from api.permissions import inboxes
from api.privacy import for_viewer
from tickets.notifications import Notification, SqlNotifications
from tickets.operators import Operator, SqlOperators

router = APIRouter(tags=["operators"])


class OperatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["op-2"])
    role: Literal["operator", "tier"] = "operator"
    team: str | None = Field(default=None, max_length=64, examples=["vendor"])


class OperatorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_shift: StrictBool | None = None
    away: StrictBool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.on_shift is None and self.away is None:
            raise ValueError("give on_shift or away (true or false)")
        return self


class OperatorPublic(BaseModel):
    name: str
    role: str
    team: str | None
    on_shift: bool
    away: bool
    last_assigned_at: datetime | None

    @classmethod
    def of(cls, operator: Operator) -> OperatorPublic:
        return cls.model_validate(operator, from_attributes=True)


class OperatorsPublic(BaseModel):
    items: list[OperatorPublic]


class NotificationPublic(BaseModel):
    id: int
    recipient: str = Field(description="your name, or a team inbox `team:<code>` you belong to")
    ticket_number: str | None
    kind: str = Field(description="sla_at_risk or sla_breached")
    text: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationPublic:
        return cls.model_validate(notification, from_attributes=True)


class NotificationsPublic(BaseModel):
    items: list[NotificationPublic]


@router.get("/api/operators")
async def operators(s: Session, ctx: Context,
                    who: Caller) -> OperatorsPublic:
    """Everyone who works tickets, with their shift and away flags."""
    return OperatorsPublic(items=[OperatorPublic.of(o) for o in await SqlOperators(s, ctx.settings).all()])


@router.post("/api/operators")
async def create_operator(body: OperatorCreate, s: Session, ctx: Context,
                          who: Caller) -> OperatorPublic:
    """Add an L1 operator or a tier-team member (off shift until they start one)."""
    return OperatorPublic.of(await SqlOperators(s, ctx.settings).create(body.name, body.role, body.team))


@router.patch("/api/operators/{name}")
async def update_operator(name: str, body: OperatorUpdate, s: Session, ctx: Context, who: Caller) -> OperatorPublic:
    """Start or end a shift, or step away and back: your own, or anyone's for those who manage operators."""
    operator = await SqlOperators(s, ctx.settings).set_availability(name, body.on_shift, body.away)
    return OperatorPublic.of(operator)


@router.get("/api/notifications")
async def notifications(s: Session, ctx: Context,
                        who: Caller) -> NotificationsPublic:
    """Your unread notifications and your teams', newest first."""
    found = await SqlNotifications(s).unread(inboxes(who, ctx.settings))
    return for_viewer(who, NotificationsPublic(items=[NotificationPublic.of(n) for n in found]))


@router.post("/api/notifications/{notification_id}/read")
async def mark_read(notification_id: RowId, s: Session, ctx: Context,
                    who: Caller) -> NotificationPublic:
    """Mark a notification read (a team's, for the whole team)."""
    return NotificationPublic.of(await SqlNotifications(s).mark_read(notification_id, inboxes(who, ctx.settings)))

