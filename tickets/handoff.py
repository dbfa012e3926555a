"""Hand-off of escalated bugs and enhancements to the vendor's tracker (JIRA), through the outbox.

Escalating a ticket to the configured vendor team queues one outbox item (channel "jira", user_id the
ticket number) in the escalation's own transaction; the JIRA sender in `jira_link` creates the issue later,
retrying while JIRA is away. A ticket that already has its JIRA issue, or whose hand-off is still queued,
gets no second item, so one escalation never makes two issues.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from tickets.models import OutboxRow, TicketEventRow, TicketRow
from tickets.outbox import SqlOutbox

CHANNEL = "jira"
KIND = "jira.create"


def wants_handoff(settings: Settings, row: TicketRow) -> bool:
    """JIRA is configured, the ticket went to the vendor team, and its category has a JIRA issue type."""
    return bool(settings.jira_url) and row.escalated_to == settings.jira_team and not row.jira_key \
        and row.category in settings.jira_issue_types


async def enqueue_handoff(session: AsyncSession, settings: Settings, row: TicketRow) -> bool:
    """Queue the JIRA issue's creation for this escalation; False when none is wanted or one is queued."""
    if not wants_handoff(settings, row):
        return False
    queued = await session.scalar(
        select(func.count()).select_from(OutboxRow)
        .where(OutboxRow.channel == CHANNEL, OutboxRow.ticket_id == row.id, OutboxRow.delivered_at.is_(None))
    )
    if queued:
        return False
    escalation = await session.scalar(
        select(func.max(TicketEventRow.id)).where(TicketEventRow.ticket_id == row.id,
                                                   TicketEventRow.action == "escalate")
    )
    number = row.number or ""
    due = row.updated_at  # from the escalation (on the clock of the change that made it)
    await SqlOutbox(session, lambda: due).enqueue(CHANNEL, number, KIND, {"number": number, "escalation": escalation},
                                                  row.id)
    return True
