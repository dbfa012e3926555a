"""Mail we send: composed with the standard `email` package and sent over SMTP with aiosmtplib.

`HELPDESK_EMAIL_SMTP_URL` is `smtps://user:password@host[:465]` (TLS from the start) or
`smtp://user:password@host[:587]` (STARTTLS; plain text only to a loopback address). Every mail we send says
`Auto-Submitted: auto-replied` (RFC 3834) so that other robots do not answer it, and asks Exchange not to
send auto-replies to it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from bot.email_imap import endpoint

SMTP_SCHEMES = {"smtps": 465, "smtp": 587}
TIMEOUT_S = 30.0


class SendError(Exception):
    """The SMTP server did not take the mail; `permanent` when trying again cannot help (5xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """A mail to send: `references` oldest first; `message_id` without angle brackets."""

    to: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


def new_message_id(address: str) -> tuple[str, str]:
    """(a fresh Message-ID for mail from `address`, the token of its body marker)."""
    token = secrets.token_hex(10)
    domain = address.rsplit("@", 1)[-1] or "helpdesk.invalid"
    return f"hd.{token}@{domain}", token


def compose(mail: Outgoing, sender: str, sender_name: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{mail.message_id}>"
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        message["References"] = " ".join(f"<{ref}>" for ref in mail.references[-20:])
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.body, charset="utf-8")
    return message


class Smtp:
    """Sends composed mail; one connection per mail (replies are few and far between)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_S) -> None:
        self.endpoint = endpoint(url, SMTP_SCHEMES)
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        point = self.endpoint
        tls = point.scheme == "smtps"
        try:
            await aiosmtplib.send(
                message, hostname=point.host, port=point.port, username=point.user or None,
                password=point.password or None, use_tls=tls, start_tls=None if tls or point.loopback else True,
                timeout=self.timeout)
        except aiosmtplib.SMTPResponseException as err:
            raise SendError(f"SMTP {err.code}: {err.message}", permanent=500 <= err.code < 600) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            raise SendError(f"SMTP: {type(err).__name__}: {err}", permanent=False) from err
