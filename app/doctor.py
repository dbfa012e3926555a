"""`helpdesk doctor`: checks a deployment's settings, database, folders, channels and clock, one line each.

Every check returns findings instead of raising, so one broken thing never hides the others. A `fail`
means the server would not start or would misbehave; a `warn` is worth fixing before users notice.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from core.db import MIGRATIONS, is_sqlite, sync_url
from core.settings import Settings

Status = Literal["ok", "warn", "fail"]
TELEGRAM_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
CLOCK_SKEW = timedelta(seconds=30)
SECRET_FILE = "web-secret"  # noqa: S105 (the name of the file web.context keeps the session secret in)


@dataclass(frozen=True)
class Finding:
    status: Status
    topic: str
    message: str

    def line(self) -> str:
        return f"{self.status:<4} {self.topic}: {self.message}"


def settings_errors(error: ValidationError) -> list[Finding]:
    """Settings that did not parse, one finding each, named as the environment variable."""
    return [Finding("fail", "settings", f"HELPDESK_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']}")
            for e in error.errors()]


def _writable(folder: Path) -> str | None:
    """Why `folder` cannot be used for writing, or None when it can (it is created when missing)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as err:
        return f"{folder} is not writable ({err.strerror or err})"
    return None


def check_folders(settings: Settings) -> Iterable[Finding]:
    for topic, folder in (("data folder", settings.data_dir), ("attachments", settings.attachments_dir)):
        problem = _writable(folder)
        if problem:
            yield Finding("fail", topic, f"{problem}: give the server's user write access or set HELPDESK_DATA_DIR")
            continue
        mode = folder.stat().st_mode & 0o777
        if topic == "data folder" and mode & 0o077:
            yield Finding("warn", topic, f"{folder} is readable by others (mode {mode:o}): chmod 700 it")
        else:
            yield Finding("ok", topic, f"{folder} is writable")


def _revisions() -> tuple[str, set[str]]:
    """The newest migration this code knows, and every revision it knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head() or ""
    return head, {r.revision for r in script.walk_revisions()}


def check_database(settings: Settings, clock: Callable[[], datetime] | None) -> Iterable[Finding]:
    try:
        url = settings.resolved_database_url()
        shown = make_url(url).render_as_string(hide_password=True)
        engine = create_engine(sync_url(url), connect_args={} if is_sqlite(url) else {"connect_timeout": 5})
    except (ArgumentError, ValueError) as err:
        yield Finding("fail", "database", f"HELPDESK_DATABASE_URL is not a database URL: {err}")
        return
    except OSError as err:
        yield Finding("fail", "database", f"cannot create the SQLite database's folder: {err.strerror or err}")
        return
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                if _has_version_table(conn) else None
            server_now = None if is_sqlite(url) else conn.execute(text("SELECT now()")).scalar()
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        yield Finding("fail", "database", f"cannot reach {shown}: {str(cause).strip().splitlines()[0]}")
        return
    finally:
        engine.dispose()
    yield Finding("ok", "database", f"{shown} answers")
    head, known = _revisions()
    if stored == head:
        yield Finding("ok", "migrations", f"schema at {head}, the newest this version knows")
    elif stored is None:
        yield Finding("warn", "migrations", "the database is empty: `helpdesk db upgrade` (or the first start) "
                                            "creates the schema")
    elif stored in known:
        yield Finding("warn", "migrations", f"schema at {stored}, this version expects {head}: "
                                            "run `helpdesk db upgrade` (serve also does it on start)")
    else:
        yield Finding("fail", "migrations", f"schema at {stored}, which this version does not know: the database "
                                            "was upgraded by a newer helpdesk; run that version or restore a backup")
    if clock is not None and isinstance(server_now, datetime):
        skew = abs(server_now - clock())
        if skew > CLOCK_SKEW:
            yield Finding("warn", "clock", f"the database server's clock is {skew} away from this machine's: "
                                           "SLA times will disagree; run NTP on both")


def _has_version_table(conn: object) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(conn).has_table("alembic_version"))


def check_secrets(settings: Settings, processes: int) -> Iterable[Finding]:
    if settings.web_session_secret:
        if len(settings.web_session_secret) < 32:
            yield Finding("warn", "secrets", "HELPDESK_WEB_SESSION_SECRET is short: use 32 or more random characters")
        else:
            yield Finding("ok", "secrets", "HELPDESK_WEB_SESSION_SECRET is set")
    elif processes > 1:
        yield Finding("warn", "secrets", "HELPDESK_WEB_SESSION_SECRET is not set: replicas on separate machines "
                                         "would each make their own and sign each other's users out")
    elif (settings.data_dir / SECRET_FILE).exists():
        yield Finding("ok", "secrets", f"the console's session secret is kept in {settings.data_dir / SECRET_FILE}")
    else:
        yield Finding("ok", "secrets", "the console's session secret will be made in the data folder on start")


def _https(url: str | None) -> bool:
    return url is not None and urlsplit(url).scheme == "https"


def check_email(settings: Settings) -> Iterable[Finding]:
    """The e-mail channel's settings, read offline (`helpdesk email check` logs in)."""
    from bot.email_imap import IMAP_SCHEMES, endpoint
    from bot.email_outgoing import SMTP_SCHEMES

    named = {"HELPDESK_EMAIL_IMAP_URL": settings.email_imap_url, "HELPDESK_EMAIL_SMTP_URL": settings.email_smtp_url,
             "HELPDESK_EMAIL_ADDRESS": settings.email_address}
    missing = [name for name, value in named.items() if not value]
    if len(missing) == len(named):
        yield Finding("ok", "email", "not configured (HELPDESK_EMAIL_IMAP_URL unset)")
        return
    if missing:
        yield Finding("fail", "email", f"{', '.join(missing)} not set: the channel needs all three")
        return
    try:
        imap = endpoint(settings.email_imap_url or "", IMAP_SCHEMES)
        smtp = endpoint(settings.email_smtp_url or "", SMTP_SCHEMES)
    except ValueError as err:
        yield Finding("fail", "email", f"a mail server URL is wrong: {err}")
        return
    yield Finding("ok", "email", f"mailbox on {imap.host}, replies through {smtp.host} as {settings.email_address} "
                                 "(`helpdesk email check` logs in)")


def check_channels(settings: Settings) -> Iterable[Finding]:
    if settings.telegram_token is None:
        yield Finding("ok", "telegram", "not configured (HELPDESK_TELEGRAM_TOKEN unset)")
    elif not TELEGRAM_TOKEN.match(settings.telegram_token):
        yield Finding("fail", "telegram", "HELPDESK_TELEGRAM_TOKEN does not look like a BotFather token "
                                          "(<digits>:<35 characters>)")
    else:
        yield Finding("ok", "telegram", "token set")
    if settings.voice_auth_token is None:
        yield Finding("ok", "voice", "not configured (HELPDESK_VOICE_AUTH_TOKEN unset)")
    elif not _https(settings.voice_public_url):
        yield Finding("fail", "voice", "HELPDESK_VOICE_PUBLIC_URL must be the https:// address the provider calls "
                                       "(it is part of every signature check)")
    else:
        yield Finding("ok", "voice", f"webhooks expected at {settings.voice_public_url}")
    yield from check_email(settings)
    if settings.jira_url is None:
        yield Finding("ok", "jira", "not configured (HELPDESK_JIRA_URL unset)")
    elif not settings.jira_token:
        yield Finding("fail", "jira", "HELPDESK_JIRA_URL is set but HELPDESK_JIRA_TOKEN is not")
    elif not _https(settings.jira_url):
        yield Finding("warn", "jira", "HELPDESK_JIRA_URL is not https: the token would cross the network in clear")
    else:
        yield Finding("ok", "jira", f"hand-off to {settings.jira_url}, project {settings.jira_project}")


def check_clock(settings: Settings, now: datetime) -> Iterable[Finding]:
    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield Finding("fail", "timezone", f"HELPDESK_TIMEZONE={settings.timezone!r} is not a known time zone "
                                          "(e.g. Asia/Kolkata); install tzdata if the system has none")
        return
    if settings.business_start >= settings.business_end:
        yield Finding("fail", "business hours", f"start {settings.business_start} is not before end "
                                                f"{settings.business_end}")
    local = now.astimezone(zone)
    if local.year < 2024:
        yield Finding("fail", "clock", f"this machine's clock says {local:%Y-%m-%d}: set the time (NTP)")
    else:
        yield Finding("ok", "clock", f"{local:%Y-%m-%d %H:%M} {zone.key}; business hours "
                                     f"{settings.business_start:%H:%M}-{settings.business_end:%H:%M}")


def check_knowledge_base(settings: Settings) -> Iterable[Finding]:
    from core.errors import InvalidContent
    from kb.loader import load_knowledge_base

    try:
        knowledge = load_knowledge_base(settings.kb_dir)
    except InvalidContent as err:
        yield Finding("fail", "knowledge base", f"{len(err.problems)} error(s), the first: {err.problems[0]}; "
                                                "run `helpdesk kb lint`")
    except OSError as err:
        yield Finding("fail", "knowledge base", f"cannot read {settings.kb_dir}: {err}")
    else:
        yield Finding("ok", "knowledge base", f"{len(knowledge.entries)} entries")


def diagnose(settings: Settings, now: datetime, *, processes: int = 1,
             clock: Callable[[], datetime] | None = None) -> list[Finding]:
    """Every check, in the order an operator would fix things. `now` is the time the checks report;
    `clock`, when given, is read again to compare with the database server's clock."""
    checks: list[Callable[[], Iterable[Finding]]] = [
        lambda: check_folders(settings),
        lambda: check_database(settings, clock),
        lambda: check_knowledge_base(settings),
        lambda: check_secrets(settings, processes),
        lambda: check_channels(settings),
        lambda: check_clock(settings, now),
    ]
    return [finding for check in checks for finding in check()]


def processes_from_env() -> int:
    """Replicas or workers this deployment runs (the chart sets HELPDESK_REPLICAS), for the secrets check."""
    try:
        return max(1, int(os.environ.get("HELPDESK_REPLICAS", "1")))
    except ValueError:
        return 1
