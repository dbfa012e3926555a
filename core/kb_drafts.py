"""Knowledge-base changes waiting for a second maintainer: the entry, its diff, who asked and who decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow


class KbDraftRow(Base):
    __tablename__ = "kb_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(128))
    replaces: Mapped[str | None] = mapped_column(String(128))  # None: a new entry
    file: Mapped[str] = mapped_column(String(255))  # the content file's name, in the KB folder
    entry: Mapped[str] = mapped_column(Text)  # the entry as JSON
    started_from: Mapped[str | None] = mapped_column(String(16))  # the edited entry's fingerprint
    diff: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, approved
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    commit: Mapped[str | None] = mapped_column(String(64))  # the git commit made on approval, if any
