"""An incoming mail read with the standard `email` package (policy.default): who sent it, what it answers,
its words and files, and whether it is an automatic message that must never be answered.

Headers are decoded from their raw RFC 2047 words so that a mislabelled charset (UTF-8 declared as
Windows-1252) is read right (bot.email_text.decode_bytes); bodies likewise. An HTML-only mail is converted
to plain text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from urllib.parse import unquote_to_bytes

from bot.email_text import decode_bytes, html_to_text

TICKET_IN_SUBJECT = re.compile(r"\[([A-Z][A-Z0-9]{0,9}-\d{6,})\]")
MARKER = re.compile(r"\[ref:([A-Za-z0-9._-]{6,64})\]")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@-]|$)",
                               re.IGNORECASE)
BULK_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}


@dataclass(frozen=True)
class MailFile:
    """A file attached to a mail."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    """What the helpdesk reads from one mail."""

    key: str  # its Message-ID, or a digest of its bytes when it has none
    message_id: str
    sender: str  # the From address, lower case
    sender_name: str
    subject: str
    text: str  # the body as plain text (HTML converted), quoted text still in
    in_reply_to: tuple[str, ...] = ()  # In-Reply-To then References, newest first
    files: tuple[MailFile, ...] = ()
    automatic: str | None = None  # why no answer may go back (auto-reply, list mail...), or None
    bounced: tuple[str, ...] = field(default=())  # a delivery report: the addresses that could not be reached


def raw_header(message: Message, name: str) -> str:
    """A header decoded from its raw encoded words, each read with bot.email_text.decode_bytes."""
    values = [value for key, value in message.raw_items() if key.lower() == name.lower()]
    if not values:
        return ""
    unfolded = re.sub(r"\r?\n[ \t]+", " ", str(values[0]))
    words = []
    for chunk, charset in decode_header(unfolded):
        words.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(words).split())


def message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _automatic(message: Message, sender: str) -> str | None:
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get("X-Auto-Response-Suppress") is not None:
        return "X-Auto-Response-Suppress"
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return "mailing list"
    if not sender or AUTOMATIC_SENDERS.match(sender):
        return f"automatic sender {sender or '(none)'}"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _bounced(message: Message) -> tuple[str, ...]:
    """The recipients a delivery status notification (RFC 3464) says failed."""
    if message.get_content_type() != "multipart/report":
        return ()
    failed: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if action == "failed" and ";" in recipient:
                failed.append(recipient.split(";", 1)[1].strip().lower())
    return tuple(failed)


def _body_and_files(message: EmailMessage) -> tuple[str, list[MailFile]]:
    plain: list[str] = []
    html: list[str] = []
    files: list[MailFile] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() in {"message/delivery-status", "message/rfc822"}:
            continue
        disposition = part.get_content_disposition()
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        name = part.get_filename()
        kind = part.get_content_type()
        if disposition == "attachment" or name or kind.split("/")[0] in {"image", "application", "audio", "video"}:
            files.append(MailFile(_file_name(part, name), kind, data))
        elif kind == "text/plain":
            plain.append(decode_bytes(data, part.get_content_charset()))
        elif kind == "text/html":
            html.append(html_to_text(decode_bytes(data, part.get_content_charset())))
    text = "\n\n".join(plain) if plain else "\n\n".join(html)
    return text.replace("\r\n", "\n").strip(), files


_FILENAME = re.compile(r"""\b(?:file)?name(\*)?\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)


def _file_name(part: Message, decoded: str | None) -> str:
    """The attachment's name from its raw header: RFC 2047 words and RFC 2231 values read as header words
    are (so a mislabelled charset is read right too); else what the email package made of it."""
    for header in ("content-disposition", "content-type"):
        raw = next((str(v) for k, v in part.raw_items() if k.lower() == header), "")
        found = _FILENAME.search(re.sub(r"\r?\n[ \t]+", " ", raw))
        if not found:
            continue
        value = found.group(2) if found.group(2) is not None else found.group(3)
        if found.group(1) and "'" in value:  # RFC 2231: charset'language'percent-encoded
            charset, _, encoded = value.split("'", 2)
            return decode_bytes(unquote_to_bytes(encoded), charset)[:200]
        if "=?" in value:
            words = [decode_bytes(c, cs) if isinstance(c, bytes) else c for c, cs in decode_header(value)]
            return "".join(words)[:200]
    return (decoded or "attachment")[:200]


def parse_mail(raw: bytes) -> Mail:
    """Read one mail as received."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    addresses = getaddresses([raw_header(message, "From")])
    name, sender = addresses[0] if addresses else ("", "")
    sender = sender.strip().lower()
    own_ids = message_ids(raw_header(message, "Message-ID"))
    message_id = own_ids[0] if own_ids else ""
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    answered = message_ids(raw_header(message, "In-Reply-To"))
    answered += list(reversed(message_ids(raw_header(message, "References"))))
    text, files = _body_and_files(message)
    return Mail(key=key[:255], message_id=message_id, sender=sender, sender_name=name,
                subject=raw_header(message, "Subject"), text=text, in_reply_to=tuple(dict.fromkeys(answered)),
                files=tuple(files), automatic=_automatic(message, sender), bounced=_bounced(message))


def headers_of(raw: bytes) -> Mail:
    """Only the headers of a mail (one too large to read whole): sender, subject, automatic or not."""
    return parse_mail(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n")


def ticket_in(subject: str) -> str | None:
    found = TICKET_IN_SUBJECT.search(subject)
    return found.group(1) if found else None


def marker_in(text: str) -> str | None:
    found = MARKER.search(text)
    return found.group(1) if found else None
