"""The outbox sender for channel "jira": creates the vendor's JIRA issue for an escalated ticket.

Every step can be repeated safely. Before creating, it searches JIRA for our label, so an issue created by
an attempt whose answer was lost is found instead of made again; the transcript comment and attachments
already on the issue are not added twice. The JIRA key is stored on the ticket (an audited change) in the
transaction that marks the outbox item done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jira import JIRA
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import NotFound
from core.settings import Settings
from jira_link.client import connect, delivery_error
from jira_link.issue import TRANSCRIPT_MARK, attachment_names, fields_of, label_of, transcript_of
from tickets.attachments import AttachmentStore
from tickets.delivery import DeliveryError
from tickets.desk import SqlTicketDesk
from tickets.outbox import OutboxItem, SqlOutbox
from tickets.store import Ticket, ticket_of

log = logging.getLogger(__name__)
ACTOR = "jira"


@dataclass(frozen=True)
class Handoff:
    """What one ticket sends to JIRA."""

    fields: dict[str, Any]
    label: str
    transcript: str
    files: list[tuple[Path, str]]  # (file in our store, name in JIRA)


def handoff_of(ticket: Ticket, settings: Settings) -> Handoff:
    store = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
    files = []
    for ref, name in attachment_names(ticket):
        try:
            files.append((store.path(ref), name))
        except NotFound:
            log.warning("ticket %s: attachment %s is missing from the store; not sent to JIRA", ticket.number, ref)
    app_version = getattr(ticket, "app_version", None)  # tickets do not record it yet; used once they do
    return Handoff(fields_of(ticket, settings, app_version), label_of(ticket.number), transcript_of(ticket), files)


def push(client: JIRA, handoff: Handoff) -> str:
    """Find or create the issue, then add what it still lacks; returns its key (blocking)."""
    found = client.search_issues(f'labels = "{handoff.label}"', maxResults=1, fields="summary")
    key = found[0].key if found else client.create_issue(fields=handoff.fields, prefetch=False).key
    issue = client.issue(key, fields="comment,attachment")
    comments = getattr(issue.fields.comment, "comments", [])
    if not any(str(c.body).startswith(TRANSCRIPT_MARK) for c in comments):
        client.add_comment(key, handoff.transcript)
    present = {a.filename for a in getattr(issue.fields, "attachment", None) or []}
    for path, name in handoff.files:
        if name not in present:
            with path.open("rb") as data:
                client.add_attachment(key, data, filename=name)
    return str(key)


class JiraSender:
    """Delivers "jira" outbox items: one JIRA issue per escalated bug or enhancement."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 connector: Callable[[Settings], JIRA] = connect) -> None:
        self._sessions = sessions
        self._settings = settings
        self._connect = connector

    async def send(self, item: OutboxItem) -> None:
        number = str(item.payload["number"])
        async with self._sessions() as session:
            ticket = ticket_of(await SqlTicketDesk(session, self._settings).row(number))
        if ticket.jira_key:
            return  # handed off already (an earlier escalation's item)
        if not self._settings.jira_url:
            raise DeliveryError("HELPDESK_JIRA_URL is not set; cannot hand off to JIRA", retryable=False)
        handoff = handoff_of(ticket, self._settings)
        try:
            key = await asyncio.to_thread(self._push, handoff)
        except Exception as err:
            raise delivery_error(err) from err
        async with self._sessions() as session, session.begin():
            desk = SqlTicketDesk(session, self._settings)
            await desk.change(number, ACTOR, "jira_link", None, f"JIRA issue {key} created for the vendor team",
                              jira_key=key)
            await SqlOutbox(session).delivered(item.id)
        log.info("ticket %s handed off to JIRA as %s", number, key)

    def _push(self, handoff: Handoff) -> str:
        client = self._connect(self._settings)
        try:
            return push(client, handoff)
        finally:
            client.close()  # type: ignore[no-untyped-call]  # the library leaves it unannotated
