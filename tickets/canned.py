"""Canned responses: replies an operator inserts and edits before sending, kept as data that maintainers edit
in the console, each in English, Odia and Hindi. The ticket page offers them in the ticket's language (English
where a translation is missing) with the placeholders filled: `{number}` the ticket, `{name}` the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_row_id, utcnow
from core.errors import InvalidInput, NotFound
from tickets.models import CannedRow

LANGUAGES = ("en", "or", "hi")
PLACEHOLDERS = ("number", "name")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    texts: dict[str, str]
    updated_by: str
    updated_at: datetime

    def text_in(self, language: str, **values: str) -> str:
        """The text in `language` (else English), placeholders filled; unknown braces are left as typed."""
        text = self.texts.get(language) or self.texts.get("en", "")
        for name in PLACEHOLDERS:
            text = text.replace("{" + name + "}", values.get(name, ""))
        return text


def _canned(row: CannedRow) -> Canned:
    return Canned(row.id, row.title, dict(row.texts or {}), row.updated_by, row.updated_at)


def _checked(title: str, texts: dict[str, str]) -> tuple[str, dict[str, str]]:
    title = " ".join(title.split())
    if not title or len(title) > 80:
        raise InvalidInput("title: give the response a title of 1 to 80 characters")
    kept = {lang: texts[lang].strip() for lang in LANGUAGES if texts.get(lang, "").strip()}
    if "en" not in kept:
        raise InvalidInput("en: the English text is required (the other languages fall back to it)")
    for lang, text in kept.items():
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"{lang}: at most {MAX_TEXT} characters")
    return title, kept


class SqlCanned:
    """Canned responses inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self) -> list[Canned]:
        return [_canned(r) for r in await self._session.scalars(select(CannedRow).order_by(CannedRow.title))]

    async def create(self, actor: str, title: str, texts: dict[str, str]) -> Canned:
        title, kept = _checked(title, texts)
        row = CannedRow(title=title, texts=kept, updated_by=actor, updated_at=utcnow())
        self._session.add(row)
        await self._session.flush()
        return _canned(row)

    async def update(self, canned_id: int, actor: str, title: str, texts: dict[str, str]) -> Canned:
        row = await self._row(canned_id)
        row.title, row.texts = _checked(title, texts)
        row.updated_by, row.updated_at = actor, utcnow()
        await self._session.flush()
        return _canned(row)

    async def delete(self, canned_id: int) -> None:
        await self._session.delete(await self._row(canned_id))
        await self._session.flush()

    async def _row(self, canned_id: int) -> CannedRow:
        row = await self._session.get(CannedRow, canned_id) if is_row_id(canned_id) else None
        if row is None:
            raise NotFound(f"no canned response {canned_id}")
        return row
