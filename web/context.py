"""What the browser pages need, built once by `app` and kept on `app.state.web`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer
from prometheus_client import Counter
from sqlalchemy import select

from api.deps import ApiContext
from api.permissions import allowed
from core.channel import ChatEngine
from core.i18n import Catalog
from core.messages import Reply, UserRef
from tickets.attachments import AttachmentStore
from tickets.calendar import BusinessCalendar
from tickets.models import OutboxRow
from web.chat_store import ChatHistory
from web.times import ago, local, person

if TYPE_CHECKING:
    from kb.matcher import LexicalMatcher

HERE = Path(__file__).resolve().parent
SECRET_FILE = "web-secret"  # noqa: S105 (a file name, not a secret)


class WebChatEngine(ChatEngine, Protocol):
    """The engine as the web chat page uses it: also the greeting it shows before a conversation exists."""

    async def greeting(self, user: UserRef, language: str) -> list[Reply]: ...


@dataclass
class WebContext:
    api: ApiContext
    engine: WebChatEngine
    matcher: LexicalMatcher
    attachments: AttachmentStore
    catalog: Catalog
    templates: Jinja2Templates
    signer: URLSafeTimedSerializer
    history: ChatHistory  # what each conversation shows; its limits are api.chat_limits (core.chat_limits)

    async def waiting(self, user: UserRef) -> bool:
        """Whether the outbox holds a message for this user (one indexed read)."""
        query = select(OutboxRow.id).where(OutboxRow.channel == user.channel, OutboxRow.user_id == user.user_id,
                                           OutboxRow.delivered_at.is_(None)).limit(1)
        async with self.api.sessions() as s:
            return await s.scalar(query) is not None
    calendar: BusinessCalendar  # business hours, for "due in 2 business hours"
    sign_in_refusals: Counter  # by reason: wrong_password, throttled, locked (on /metrics)


def templates() -> Jinja2Templates:
    """Jinja2 with autoescape on for every template (user text always shows as text)."""
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.autoescape = True
    found.env.filters["local"] = local
    found.env.filters["ago"] = ago
    found.env.filters["person"] = person
    found.env.globals["may"] = allowed  # may(signed.who, "problems_manage"): what the role's pages offer
    return found


def session_secret(configured: str | None, data_dir: Path) -> str:
    """The configured secret, else one made once and kept in the data folder (so every worker shares it)."""
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


async def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


Web = Annotated[WebContext, Depends(web_context)]
