"""Rendering a page with the headers every browser page gets (CSP, framing, no sniffing)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.privacy import for_viewer
from web.context import WebContext
from web.session import Signed

# No inline script or style anywhere: an injected <script> or onerror= could not run even if it slipped
# past escaping.
_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
           "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frames}")


def page(
    web: WebContext, request: Request, template: str, *, status: int = 200, signed: Signed | None = None,
    frame_ancestors: str = "'none'", kb_content: bool = False, **values: Any,
) -> HTMLResponse:
    """The page; on the console, personal numbers masked for roles that do not call users back (api.privacy),
    except in knowledge-base entries (`kb_content`: public text its maintainers write and edit)."""
    if signed is not None and not kb_content:
        values = for_viewer(signed.who, values)
    response = web.templates.TemplateResponse(
        request, template, {"signed": signed, "settings": web.api.settings, **values}, status_code=status
    )
    response.headers["Content-Security-Policy"] = _POLICY.format(frames=frame_ancestors)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
