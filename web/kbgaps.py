"""The FAQ gaps page: filed tickets grouped by likeness, each group a draft entry waiting to be written."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.privacy import sees_numbers
from api.scopes import scoped
from core.logmask import mask
from kb.gaps import Cluster, cluster_texts
from kb.loader import KnowledgeBase
from kb.schema import ANSWER_LIMIT
from tickets.models import TicketMessageRow, TicketRow
from web.context import Web
from web.render import page
from web.session import SignedIn

router = APIRouter(prefix="/console/kb", include_in_schema=False)
TICKETS_READ = 2000
GROUPS_SHOWN = 20
ALTERNATES_DRAFTED = 8


@dataclass(frozen=True)
class FiledTicket:
    id: int
    number: str
    description: str
    ulb: str | None
    module: str
    rejected: tuple[str, ...]  # the FAQ entries offered and turned down before filing


async def filed_tickets(session: AsyncSession, limit: int = TICKETS_READ, *,
                        escalated_to: str | None = None, numbers_shown: bool = True) -> list[FiledTicket]:
    """The newest filed tickets (a tier team's: only those escalated to it), their numbers masked unless the
    viewer may see them."""
    columns = (TicketRow.id, TicketRow.number, TicketRow.description, TicketRow.ulb, TicketRow.module,
               TicketRow.faq_rejected)
    query = select(*columns).order_by(TicketRow.id.desc()).limit(limit)
    if escalated_to is not None:
        query = query.where(TicketRow.escalated_to == escalated_to)
    shown = (lambda text: text) if numbers_shown else mask
    return [FiledTicket(r.id, r.number or f"#{r.id}", shown(r.description), r.ulb, r.module,
                        tuple(r.faq_rejected or ())) for r in await session.execute(query)]


async def first_replies(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, str]:
    """Each ticket's first reply from an operator (what they told the user), by ticket id."""
    query = (select(TicketMessageRow.ticket_id, TicketMessageRow.text)
             .where(TicketMessageRow.ticket_id.in_(ticket_ids), TicketMessageRow.kind == "reply")
             .order_by(TicketMessageRow.at, TicketMessageRow.id))
    replies: dict[int, str] = {}
    for ticket_id, text in await session.execute(query):
        replies.setdefault(ticket_id, text)
    return replies


def _draft_link(label: str, members: Sequence[FiledTicket], module: str, answer: str) -> str:
    alternates = [t.description for t in members if t.description != label and len(t.description) <= 160]
    values = {"question": label, "alternates": "\n".join(dict.fromkeys(alternates[:ALTERNATES_DRAFTED])),
              "module": module, "answer": answer[:ANSWER_LIMIT]}
    return "/console/kb/new?" + urlencode(values)


def group_view(cluster: Cluster, tickets: Sequence[FiledTicket], replies: dict[int, str],
               kb: KnowledgeBase) -> dict[str, Any]:
    """What the page shows of one group, and the draft entry it links to."""
    members = [tickets[i] for i in cluster.members]
    label = tickets[cluster.typical].description
    module = Counter(t.module for t in members).most_common(1)[0][0]
    rejected = Counter(kb.resolve(entry_id) for t in members for entry_id in t.rejected)
    answers = [replies[t.id] for t in members if t.id in replies]
    answer = Counter(answers).most_common(1)[0][0] if answers else ""
    return {
        "size": cluster.size, "label": label, "module": module,
        "ulbs": Counter(t.ulb or "unknown" for t in members).most_common(),
        "rejected": [(entry_id, kb.get(entry_id), n) for entry_id, n in rejected.most_common()],
        "tickets": [t.number for t in members],
        "draft": _draft_link(label, members, module, answer),
    }


@router.get("/gaps")
async def gaps(web: Web, request: Request, signed: SignedIn) -> HTMLResponse:
    """Filed tickets' problems grouped by likeness: what the FAQ should answer next."""
    team = (signed.who.team or "-") if scoped(signed.who) else None  # a tier team: its own tickets only
    async with web.api.sessions() as s:
        tickets = await filed_tickets(s, escalated_to=team, numbers_shown=sees_numbers(signed.who))
    kb = web.matcher.knowledge_base
    clusters = await asyncio.to_thread(cluster_texts, [t.description for t in tickets], synonyms=kb.synonyms)
    shown = clusters[:GROUPS_SHOWN]
    async with web.api.sessions() as s:
        replies = await first_replies(s, [tickets[i].id for c in shown for i in c.members])
    groups = [group_view(c, tickets, replies, kb) for c in shown]
    return page(web, request, "gaps.html", signed=signed, groups=groups, tickets=len(tickets))
