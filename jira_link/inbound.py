"""What JIRA tells us about a handed-off issue, applied to our ticket: an audited event, a message on the
ticket, and the user told in their language through the outbox.

`news_of` reads JIRA's webhook bodies (`jira:issue_updated` with a changelog, `comment_created`, and the
`issue_commented` flavour of `jira:issue_updated` that JIRA Server sends); `apply_news` changes the ticket
once per JIRA event (a delivery JIRA retries is recognised by its changelog or comment id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.settings import Settings
from jira_link.issue import TRANSCRIPT_MARK
from jira_link.models import JiraInboundRow
from tickets.desk import SqlTicketDesk
from tickets.models import TicketMessageRow, TicketRow
from tickets.outbox import SqlOutbox

log = logging.getLogger(__name__)
MEANINGS = ("fixed", "declined", "in_progress")  # what a JIRA status may mean to us (settings.jira_statuses)
NOTIFIED = {"fixed": "vendor_fixed", "comment": "vendor_comment"}  # news the user hears of, by outbox kind


@dataclass(frozen=True)
class VendorNews:
    """One thing that happened on the vendor's JIRA issue."""

    event_key: str  # unique per JIRA event: "changelog:<id>" or "comment:<id>"
    issue_key: str
    kind: str  # "comment" or a meaning from MEANINGS
    status: str = ""
    resolution: str = ""
    versions: tuple[str, ...] = ()
    text: str = ""
    author: str = ""


def plain_text(body: Any) -> str:
    """A comment body as text: JIRA's REST v2 sends a string, Cloud's newer payloads a document (ADF)."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        inner = "".join(plain_text(part) for part in body.get("content") or [])
        text = str(body.get("text") or "") + inner
        return text + "\n" if body.get("type") in ("paragraph", "heading", "listItem") else text
    if isinstance(body, list):
        return "".join(plain_text(part) for part in body)
    return ""


def _is_ours(comment: dict[str, Any], settings: Settings) -> bool:
    author = comment.get("author") or {}
    ours = {settings.jira_user} if settings.jira_user else set()
    return plain_text(comment.get("body")).startswith(TRANSCRIPT_MARK) or bool(
        ours & {author.get("emailAddress"), author.get("name"), author.get("accountId")})


def _comment_news(issue_key: str, comment: dict[str, Any], settings: Settings) -> VendorNews | None:
    """A public comment by the vendor's people (restricted ones and our own transcript are not relayed)."""
    public = not comment.get("visibility") and comment.get("jsdPublic", True) is not False
    body = plain_text(comment.get("body")).strip()
    if not public or not body or not comment.get("id") or _is_ours(comment, settings):
        return None
    author = str((comment.get("author") or {}).get("displayName") or "")
    return VendorNews(f"comment:{comment['id']}", issue_key, "comment", text=body, author=author)


def news_of(payload: dict[str, Any], settings: Settings) -> VendorNews | None:
    """The news in a webhook body, or None for an event we do not act on."""
    issue = payload.get("issue") or {}
    issue_key, fields = str(issue.get("key") or ""), issue.get("fields") or {}
    event = payload.get("webhookEvent")
    if not issue_key:
        return None
    if event == "comment_created" or (event == "jira:issue_updated" and payload.get("comment")):
        return _comment_news(issue_key, payload.get("comment") or {}, settings)
    if event != "jira:issue_updated":
        return None
    changelog = payload.get("changelog") or {}
    if not any(i.get("field") in ("status", "resolution") for i in changelog.get("items") or []):
        return None
    status = str((fields.get("status") or {}).get("name") or "")
    meaning = settings.jira_statuses.get(status)
    if meaning is None or not changelog.get("id"):
        return None
    versions = tuple(str(v["name"]) for v in fields.get("fixVersions") or [] if v.get("name"))
    resolution = str((fields.get("resolution") or {}).get("name") or "")
    return VendorNews(f"changelog:{changelog['id']}", issue_key, meaning, status, resolution, versions)


async def _first_time(session: AsyncSession, event_key: str, now: datetime) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(JiraInboundRow).values(event_key=event_key, received_at=now)
                 .on_conflict_do_nothing().returning(JiraInboundRow.id))
    return (await session.execute(statement)).first() is not None


def _reason(news: VendorNews) -> str:
    if news.kind == "comment":
        return f"JIRA {news.issue_key}: public comment by {news.author or 'the vendor team'}"
    resolution = f" ({news.resolution})" if news.resolution else ""
    versions = f", fix version {', '.join(news.versions)}" if news.versions else ""
    return f"JIRA {news.issue_key} is now {news.status}{resolution}{versions}"


async def apply_news(
    session: AsyncSession, settings: Settings, news: VendorNews, clock: Callable[[], datetime] = utcnow
) -> str:
    """Record the news on the ticket handed off as `news.issue_key` and queue the user's message.

    Returns what happened: "applied", "duplicate" (seen before) or "unknown issue".
    """
    row = await session.scalar(select(TicketRow).where(TicketRow.jira_key == news.issue_key))
    if row is None or row.number is None:
        log.info("JIRA event %s for %s: no ticket has that issue", news.event_key, news.issue_key)
        return "unknown issue"
    if not await _first_time(session, news.event_key, clock()):
        return "duplicate"
    actor = f"jira:{news.issue_key}"
    await SqlTicketDesk(session, settings, clock=clock).change(row.number, actor, "vendor_update", None, _reason(news))
    kind = NOTIFIED.get(news.kind)
    if kind is None:
        return "applied"
    payload: dict[str, Any] = {"number": row.number, "jira": news.issue_key}
    if news.kind == "fixed":
        payload["version"] = ", ".join(news.versions)
        text = f"Fixed by the vendor team ({news.issue_key}" + (f", version {payload['version']})" if news.versions
                                                                   else ")")
    else:
        payload.update(text=news.text, author=news.author)
        text = news.text
    session.add(TicketMessageRow(ticket_id=row.id, author=actor, kind="reply", text=text))
    await SqlOutbox(session, clock).enqueue(row.channel, row.user_id, kind, payload, row.id)
    return "applied"
