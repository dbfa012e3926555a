"""What the browser pages need, built once by `app` and kept on `app.state.web`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer

from api.deps import ApiContext
from core.channel import ChatEngine
from core.i18n import Catalog
from tickets.attachments import AttachmentStore

if TYPE_CHECKING:
    from kb.matcher import LexicalMatcher

HERE = Path(__file__).resolve().parent
SECRET_FILE = "web-secret"  # noqa: S105 (a file name, not a secret)


@dataclass
class WebContext:
    api: ApiContext
    engine: ChatEngine
    matcher: LexicalMatcher
    attachments: AttachmentStore
    catalog: Catalog
    templates: Jinja2Templates
    signer: URLSafeTimedSerializer


def templates() -> Jinja2Templates:
    """Jinja2 with autoescape on for every template (user text always shows as text)."""
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.autoescape = True
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
