"""What the JIRA issue says: fields, the transcript comment and the attachments' names, from a ticket."""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from tickets.store import Ticket

SUMMARY_CHARS = 200  # JIRA allows 255
COMMENT_CHARS = 30000  # JIRA allows 32767
TRANSCRIPT_MARK = "Helpdesk conversation transcript for"  # how a retry recognises the comment it already added


def label_of(number: str) -> str:
    """The JIRA label that ties the issue to our ticket (and finds it again after a lost answer)."""
    return number.upper()


def summary_of(ticket: Ticket) -> str:
    words = " ".join(ticket.description.split())
    summary = f"[{ticket.number}] {ticket.module}: {words}"
    return summary if len(summary) <= SUMMARY_CHARS else summary[: SUMMARY_CHARS - 1] + "…"


def description_of(ticket: Ticket, settings: Settings, app_version: str | None = None) -> str:
    """The user's words first, then what the helpdesk knows about where the problem happens."""
    ulb = next((f"{u.name} ({u.code})" for u in settings.ulbs if u.code == ticket.ulb), ticket.ulb or "not given")
    lines = [
        "The user reported:", "{quote}", ticket.description, "{quote}", "",
        f"*Helpdesk ticket:* {ticket.number}",
        f"*Category:* {ticket.category}",
        f"*Module:* {ticket.module}",
        f"*ULB:* {ulb}",
        f"*Reporter's role:* {ticket.role or 'not given'}",
        f"*App version:* {app_version or 'not known'}",
        f"*Priority:* {ticket.priority} ({ticket.priority_reason})",
    ]
    if ticket.faq_rejected:
        lines.append(f"*FAQ answers that did not help:* {', '.join(ticket.faq_rejected)}")
    return "\n".join(lines)


def fields_of(ticket: Ticket, settings: Settings, app_version: str | None = None) -> dict[str, Any]:
    """The create-issue fields, in the REST API's shapes (project and types by key and name)."""
    fields: dict[str, Any] = {
        "project": {"key": settings.jira_project},
        "issuetype": {"name": settings.jira_issue_types[ticket.category]},
        "summary": summary_of(ticket),
        "description": description_of(ticket, settings, app_version),
        "labels": [label_of(ticket.number)],
    }
    priority = settings.jira_priorities.get(ticket.priority)
    if priority:
        fields["priority"] = {"name": priority}
    return fields


def transcript_of(ticket: Ticket) -> str:
    """The bot conversation as one comment, the bot's lines in English where the user spoke another language."""
    lines = [f"{TRANSCRIPT_MARK} {ticket.number}:"]
    for entry in ticket.transcript:
        text = entry.get("text_en") or entry.get("text", "")
        lines.append(f"[{entry.get('at', '')}] {entry.get('from', '?')}: {text}")
    if len(lines) == 1:
        lines.append("(no conversation recorded)")
    body = "\n".join(lines)
    return body if len(body) <= COMMENT_CHARS else body[: COMMENT_CHARS - 1] + "…"


def attachment_names(ticket: Ticket) -> list[tuple[str, str]]:
    """(store reference, file name in JIRA) for each attachment; names are made unique."""
    named: list[tuple[str, str]] = []
    for n, item in enumerate(ticket.attachments, start=1):
        ref = str(item.get("ref", ""))
        suffix = "." + ref.rsplit(".", 1)[1] if "." in ref else ""
        name = str(item.get("name") or f"{item.get('kind', 'file')}-{n}{suffix}")
        if any(name == taken for _, taken in named):
            name = f"{n}-{name}"
        named.append((ref, name))
    return named
