"""Queue filters an operator names and keeps ("my open", "P1 this ULB"): each is the queue's query string,
kept per account and listed beside the fixed quick filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_row_id, utcnow
from core.errors import ConflictError, InvalidInput, NotFound
from tickets.models import SavedFilterRow

KEYS = ("q", "status", "priority", "category", "ulb", "assignee", "sla")  # the queue's own parameters
MAX_PER_OWNER = 30
MAX_NAME = 64


@dataclass(frozen=True)
class SavedFilter:
    id: int
    name: str
    query: str  # the queue's query string, e.g. "priority=P1&ulb=od.jatni"


def clean_query(raw: str) -> str:
    """The queue parameters of a query string, in a fixed order, empty ones dropped; nothing else is kept."""
    given = {k: v.strip() for k, v in parse_qsl(raw.lstrip("?"), keep_blank_values=False) if v.strip()}
    return urlencode([(k, given[k]) for k in KEYS if k in given])


class SqlSavedFilters:
    """One account's saved filters, inside the caller's transaction."""

    def __init__(self, session: AsyncSession, owner: str) -> None:
        self._session = session
        self._owner = owner

    async def all(self) -> list[SavedFilter]:
        query = select(SavedFilterRow).where(SavedFilterRow.owner == self._owner).order_by(SavedFilterRow.name)
        return [SavedFilter(r.id, r.name, r.query) for r in await self._session.scalars(query)]

    async def save(self, name: str, raw_query: str) -> SavedFilter:
        """Keep the filter under `name`; the same name again replaces what it shows."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise InvalidInput(f"name: give the filter a name of 1 to {MAX_NAME} characters")
        query = clean_query(raw_query)
        if not query:
            raise InvalidInput("query: choose at least one filter or a search before saving it")
        row = await self._session.scalar(select(SavedFilterRow).where(SavedFilterRow.owner == self._owner,
                                                                      SavedFilterRow.name == name))
        if row is None:
            count = await self._session.scalar(select(func.count()).select_from(SavedFilterRow)
                                               .where(SavedFilterRow.owner == self._owner))
            if (count or 0) >= MAX_PER_OWNER:
                raise InvalidInput(f"name: at most {MAX_PER_OWNER} saved filters each; delete one first")
            row = SavedFilterRow(owner=self._owner, name=name, query=query, created_at=utcnow())
            self._session.add(row)
        else:
            row.query = query
        try:
            await self._session.flush()
        except IntegrityError as err:  # saved under that name in another tab at the same moment
            raise ConflictError(f"name: a filter named {name!r} was just saved; reload the queue") from err
        return SavedFilter(row.id, row.name, row.query)

    async def delete(self, filter_id: int) -> None:
        """Delete one of the owner's filters (another's is as good as missing)."""
        row = None if not is_row_id(filter_id) else await self._session.scalar(
            select(SavedFilterRow).where(SavedFilterRow.id == filter_id, SavedFilterRow.owner == self._owner))
        if row is None:
            raise NotFound(f"no saved filter {filter_id}")
        await self._session.delete(row)
        await self._session.flush()
