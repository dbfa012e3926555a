"""The JIRA webhook deliveries already applied, so a delivery JIRA retries changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow


class JiraInboundRow(Base):
    __tablename__ = "jira_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)  # "changelog:10400", "comment:10023"
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
