"""The knowledge base's version in the database: bumped by every console save, watched by every process.

Each `helpdesk serve` process reads one small row at most once a second; when the number moved, another
process saved an edit and this one reloads the files, so every server answers with the edit within a
couple of seconds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow

ROW_ID = 1


class KbVersionRow(Base):
    """One row: how many times the knowledge base was saved from the console, by whom last."""

    __tablename__ = "kb_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


async def read_version(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        found = await s.scalar(select(KbVersionRow.version).where(KbVersionRow.id == ROW_ID))
    return int(found or 0)


async def bump_version(sessions: async_sessionmaker[AsyncSession], who: str) -> int:
    """Count one more save; returns the new version (read in the same transaction: this save's number)."""
    async with sessions() as s, s.begin():
        await s.execute(update(KbVersionRow).where(KbVersionRow.id == ROW_ID).values(
            version=KbVersionRow.version + 1, updated_at=utcnow(), updated_by=who))
        found = await s.scalar(select(KbVersionRow.version).where(KbVersionRow.id == ROW_ID))
        if found is None:  # the migration's row is gone (a database emptied by hand): start counting again
            s.add(KbVersionRow(id=ROW_ID, version=1, updated_at=utcnow(), updated_by=who))
            found = 1
    return int(found)
