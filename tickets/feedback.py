"""The user's word on a resolved ticket: fixed or not, and a 1-5 rating (CSAT).

"Not fixed" reopens the ticket within the reopen window; after it, a new ticket linked to the old one is
filed with the same module, category and priority, so the user need not be triaged again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import InvalidInput
from core.settings import Settings
from tickets.desk import SqlTicketDesk
from tickets.models import TicketMessageRow
from tickets.store import DueFunction, SqlTicketStore, Ticket, TicketDraft, ticket_of


@dataclass(frozen=True)
class NotFixedOutcome:
    """What happened to a ticket the user says is not fixed."""

    ticket: Ticket
    reopened: bool  # False: `ticket` is a new follow-up of the old one


class SqlTicketFeedback:
    def __init__(self, session: AsyncSession, settings: Settings, due: DueFunction | None = None) -> None:
        self._session = session
        self._settings = settings
        self._desk = SqlTicketDesk(session, settings, due)
        self._store = SqlTicketStore(session, settings.ticket_prefix, due)

    async def fixed(self, number: str, user_id: str) -> Ticket:
        row = await self._desk.change(number, f"user:{user_id}", "feedback", None, csat_fixed=True, csat_at=utcnow())
        return ticket_of(row)

    async def rate(self, number: str, user_id: str, rating: int) -> Ticket:
        if not 1 <= rating <= 5:
            raise InvalidInput(f"rating: must be 1 to 5, not {rating}")
        row = await self._desk.change(number, f"user:{user_id}", "feedback", None, csat_rating=rating, csat_at=utcnow())
        return ticket_of(row)

    async def comment(self, number: str, user_id: str, words: str) -> Ticket:
        """What the user adds to their rating, kept beside it for the ticket page and the dashboard."""
        words = words.strip()
        if not words:
            raise InvalidInput("comment: must not be empty")
        row = await self._desk.change(number, f"user:{user_id}", "feedback", None, csat_comment=words)
        return ticket_of(row)

    async def not_fixed(self, number: str, user_id: str, words: str) -> NotFixedOutcome:
        """Reopen within the window, otherwise file a linked follow-up; the user's words go with it. On a ticket
        merged into another, the "not fixed" is kept on the user's own ticket and the one that tracks the
        problem is reopened (or followed up, for this user)."""
        actor = f"user:{user_id}"
        mine = ticket_of(await self._desk.change(number, actor, "feedback", None, csat_fixed=False, csat_at=utcnow()))
        tracking = await self._desk.tracking(number)
        old = ticket_of(tracking)
        window = timedelta(days=self._settings.reopen_days)
        if old.resolved_at is None or utcnow() - old.resolved_at <= window:
            reopened = await self._desk.reopen(old.number, actor, "the user says the problem is not fixed", None)
            if words:
                self._session.add(TicketMessageRow(ticket_id=tracking.id, author=actor, kind="user", text=words))
            return NotFixedOutcome(reopened, reopened=True)
        description = words or old.description
        same = {f.name: getattr(old, f.name) for f in fields(TicketDraft)}
        theirs = {f: getattr(mine, f) for f in ("channel", "user_id", "role", "ulb", "language")}
        draft = replace(TicketDraft(**same), **theirs, description=description, parent_number=old.number,
                        transcript=[], faq_offered=[], faq_rejected=[], attachments=[])
        follow_up = await self._store.file(draft)
        return NotFixedOutcome(follow_up, reopened=False)
