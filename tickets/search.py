"""Ticket search for operators: by ticket number, by user, and by words in the description and messages.

Words are matched by the database's own full-text index (migration 0014): PostgreSQL's `simple`
configuration (no stemming, so Odia and Devanagari words match as written) and SQLite's FTS5. Every word
must occur in the description or in one message of the ticket. A number ("HD-000042", "42") or a user id
that matches exactly ranks first; then the best text match (ts_rank / bm25) among the newest RANKED
matching descriptions and messages, newest first among equals.
Searches cover every status unless the filter names one; pages are by offset (a ranked list has no key).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, Select, TextualSelect, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from tickets.models import TicketRow
from tickets.queue import ENTRY_COLUMNS, QueueEntry, QueueFilter, filtered

MAX_QUERY = 200
_NUMBER = re.compile(r"^(?:[A-Za-z]{1,8}-?)?0*(\d{1,9})$")
# lower is better on both databases: exact hits first, then -ts_rank (PostgreSQL) or bm25 (SQLite, negative)
_NUMBER_SCORE = -1e9
_USER_SCORE = -1e8

# A common word can occur in thousands of tickets; ranking them all would cost ~1 s at 100,000 tickets and
# tell an operator nothing, so the newest RANKED matching descriptions and messages are ranked.
# PostgreSQL: "id + 0" keeps the planner from walking the primary key backwards and computing to_tsvector
# for every row until RANKED match (5x slower at 100,000 tickets than the GIN index and a top-N sort).
RANKED = 1000
_SQLITE_WORDS = """
SELECT * FROM (SELECT rowid AS ticket_id, bm25(tickets_fts) AS score FROM tickets_fts
               WHERE tickets_fts MATCH :match ORDER BY rowid DESC LIMIT :ranked)
UNION ALL
SELECT m.ticket_id, h.score FROM (SELECT rowid AS id, bm25(ticket_messages_fts) AS score FROM ticket_messages_fts
                                  WHERE ticket_messages_fts MATCH :match ORDER BY rowid DESC LIMIT :ranked) h
JOIN ticket_messages m ON m.id = h.id
"""
_POSTGRES_WORDS = """
SELECT * FROM (SELECT t.id AS ticket_id, -ts_rank(to_tsvector('simple', t.description), q) AS score
               FROM tickets t, plainto_tsquery('simple', :words) q WHERE to_tsvector('simple', t.description) @@ q
               ORDER BY t.id + 0 DESC LIMIT :ranked) d
UNION ALL
SELECT * FROM (SELECT m.ticket_id, -ts_rank(to_tsvector('simple', m.text), q) AS score
               FROM ticket_messages m, plainto_tsquery('simple', :words) q WHERE to_tsvector('simple', m.text) @@ q
               ORDER BY m.id + 0 DESC LIMIT :ranked) m
"""


@dataclass(frozen=True)
class SearchTerms:
    """What an operator typed, read three ways."""

    text: str
    ticket_id: int | None  # "HD-000042", "hd-42", "42"
    words: tuple[str, ...]  # whitespace-separated chunks that hold a letter or digit

    @classmethod
    def of(cls, typed: str) -> SearchTerms:
        typed = typed.strip()
        if len(typed) > MAX_QUERY:
            raise InvalidInput(f"q: at most {MAX_QUERY} characters")
        number = _NUMBER.match(typed)
        words = tuple(w for w in typed.split() if any(ch.isalnum() for ch in w))
        return cls(typed, int(number.group(1)) if number else None, words)

    def fts5_match(self) -> str:
        """An FTS5 query where every chunk is a quoted phrase (so nothing typed is read as FTS5 syntax)."""
        return " ".join('"' + w.replace('"', '""') + '"' for w in self.words)


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"]
    except (ValueError, TypeError, KeyError) as err:
        raise InvalidInput("cursor: not a cursor this search returned") from err
    if not isinstance(offset, int) or offset < 0:
        raise InvalidInput("cursor: not a cursor this search returned")
    return offset


def _word_hits(dialect: str, terms: SearchTerms) -> TextualSelect:
    if dialect == "sqlite":
        clause = text(_SQLITE_WORDS).bindparams(match=terms.fts5_match(), ranked=RANKED)
    else:
        clause = text(_POSTGRES_WORDS).bindparams(words=" ".join(terms.words), ranked=RANKED)
    return clause.columns(ticket_id=Integer, score=Float)


def _hits(dialect: str, terms: SearchTerms) -> Select[Any]:
    """(ticket_id, best score) of every ticket the terms find."""
    parts: list[Select[Any]] = [
        select(TicketRow.id.label("ticket_id"), literal(_USER_SCORE, Float).label("score"))
        .where(TicketRow.user_id == terms.text)
    ]
    if terms.ticket_id is not None:
        parts.append(select(literal(terms.ticket_id, Integer).label("ticket_id"),
                            literal(_NUMBER_SCORE, Float).label("score")))
    if terms.words:
        words = _word_hits(dialect, terms).subquery()
        parts.append(select(words.c.ticket_id, words.c.score))
    every = union_all(*parts).subquery()
    return select(every.c.ticket_id, func.min(every.c.score).label("score")).group_by(every.c.ticket_id)


async def search_page(session: AsyncSession, typed: str, f: QueueFilter, cursor: str | None = None,
                      limit: int = 50) -> tuple[list[QueueEntry], str | None]:
    """One page of the tickets `typed` finds (within the filter), best first, and the next page's cursor."""
    terms = SearchTerms.of(typed)
    offset = decode_offset(cursor)
    if not terms.text:
        return [], None
    hits = _hits(session.get_bind().dialect.name, terms).subquery()
    query = filtered(select(*ENTRY_COLUMNS).join(hits, hits.c.ticket_id == TicketRow.id), f, every_status=True)
    query = query.order_by(hits.c.score, TicketRow.id.desc()).offset(offset).limit(limit + 1)
    tickets = [QueueEntry(*r) for r in await (await session.connection()).execute(query)]
    more = len(tickets) > limit
    return tickets[:limit], encode_offset(offset + limit) if more else None
