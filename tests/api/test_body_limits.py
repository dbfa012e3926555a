"""Request body limits: 1 MiB for everything, more for the upload routes, which a path template names."""

from __future__ import annotations

from api.limits import BodySizeLimit
from api.routes.tickets import body_limits as api_uploads
from core.settings import Settings
from web.console import body_limits as console_uploads


def test_an_upload_route_named_by_its_template_gets_its_own_limit_and_nothing_else_does() -> None:
    settings = Settings(attachments_max_bytes=20 * 1024 * 1024)
    limits = BodySizeLimit(None, 1024 * 1024, {**console_uploads(settings), **api_uploads(settings)})  # type: ignore[arg-type]
    upload = 20 * 1024 * 1024 + 64 * 1024
    assert limits.limit_for("/console/tickets/HD-000042/reply") == upload
    assert limits.limit_for("/api/tickets/HD-000042/reply-with-attachment") == upload
    assert limits.limit_for("/console/tickets/HD-000042/note") == 1024 * 1024
    assert limits.limit_for("/console/tickets/HD-000042/x/reply") == 1024 * 1024, "a parameter is one segment"
    assert limits.limit_for("/api/tickets/HD-000042/reply") == 1024 * 1024
