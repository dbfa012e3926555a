"""The mailbox over IMAP, with imap-tools (blocking: the channel runs it in a thread).

`HELPDESK_EMAIL_IMAP_URL` is `imaps://user:password@host[:993]/FOLDER` (TLS from the start) or
`imap://user:password@host[:143]/FOLDER` (STARTTLS; plain text only to a loopback address). The user name and
password are percent-encoded (`helpdesk%40example.org`). Mail is read with BODY.PEEK (never marked seen,
never moved or deleted): the helpdesk remembers how far it has read (UIDs under the folder's UIDVALIDITY).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

TIMEOUT_S = 30.0
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


class MailboxError(Exception):
    """The mailbox could not be reached or read; the text says why (never the password)."""


@dataclass(frozen=True)
class Endpoint:
    """A mail server URL taken apart."""

    scheme: str
    host: str
    port: int
    user: str
    password: str
    path: str

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def endpoint(url: str, schemes: dict[str, int]) -> Endpoint:
    """Parse `url` whose scheme must be one of `schemes` (scheme -> default port); ValueError says what is
    wrong."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ValueError(f"the scheme must be one of {', '.join(sorted(schemes))}, not {parts.scheme or '(none)'!r}")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    try:
        port = parts.port or schemes[parts.scheme]
    except ValueError as err:
        raise ValueError("the port is not a number") from err
    return Endpoint(parts.scheme, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""),
                    unquote(parts.path.lstrip("/")))


IMAP_SCHEMES = {"imaps": 993, "imap": 143}


@dataclass(frozen=True)
class RawMail:
    uid: int
    size: int
    data: bytes  # the whole mail, or only its headers when it is over the size limit


class Imap:
    """One mailbox folder; each method opens its own connection."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_S) -> None:
        self.endpoint = endpoint(url, IMAP_SCHEMES)
        self.folder = self.endpoint.path or "INBOX"
        self.timeout = timeout

    @contextmanager
    def session(self) -> Iterator[BaseMailBox]:
        point = self.endpoint
        box: BaseMailBox
        try:
            if point.scheme == "imaps":
                box = MailBox(point.host, point.port, timeout=self.timeout, ssl_context=ssl.create_default_context())
            elif point.loopback:
                box = MailBoxUnencrypted(point.host, point.port, timeout=self.timeout)
            else:
                box = MailBoxStartTls(point.host, point.port, timeout=self.timeout,
                                      ssl_context=ssl.create_default_context())
            box.login(point.user, point.password, initial_folder=self.folder)
        except Exception as err:  # imaplib's errors, socket and TLS errors alike
            raise MailboxError(f"{point.host}:{point.port}: {type(err).__name__}: {err}") from err
        try:
            yield box
        finally:
            with contextlib.suppress(Exception):  # the connection may already be gone
                box.logout()

    def uid_validity(self, box: BaseMailBox) -> int:
        status = box.folder.status(self.folder, ["UIDVALIDITY"])
        return int(status.get("UIDVALIDITY", 0))

    def fetch_new(self, after_uid: int, uid_validity: int, max_bytes: int, limit: int = 50
                  ) -> tuple[int, list[RawMail]]:
        """(UIDVALIDITY, mails with a UID above `after_uid`) in UID order; all mails when UIDVALIDITY changed.
        A mail over `max_bytes` comes with its headers only."""
        with self.session() as box:
            validity = self.uid_validity(box)
            start = after_uid + 1 if validity == uid_validity else 1
            uids = [int(uid) for uid in box.uids(f"UID {start}:*")]
            uids = sorted(uid for uid in uids if uid >= start)[:limit]  # "N:*" always names the last mail
            return validity, [self._fetch_one(box, uid, max_bytes) for uid in uids]

    @staticmethod
    def _fetch_one(box: BaseMailBox, uid: int, max_bytes: int) -> RawMail:
        size = 0
        typ, data = box.client.uid("FETCH", str(uid), "(RFC822.SIZE)")
        for item in data:
            found = _SIZE.search(item if isinstance(item, bytes) else b"")
            size = int(found.group(1)) if found else size
        part = "BODY.PEEK[HEADER]" if size > max_bytes else "BODY.PEEK[]"
        typ, data = box.client.uid("FETCH", str(uid), f"({part})")
        raw = next((item[1] for item in data if isinstance(item, tuple)), b"")
        if typ != "OK":
            raise MailboxError(f"FETCH {uid} failed: {typ}")
        return RawMail(uid, size or len(raw), raw)

    def wait(self, seconds: float, stop: threading.Event | None = None, after_uid: int = 0) -> bool | None:
        """Wait (IDLE) up to `seconds` for the server to announce new mail (True), or until `stop` is set
        (False); None at once when the server has no IDLE (the caller polls instead). Mail that came after
        `after_uid` but before the wait began is new mail too (IDLE announces only what comes later)."""
        with self.session() as box:
            if "IDLE" not in box.client.capabilities:
                return None
            if any(int(uid) > after_uid for uid in box.uids(f"UID {after_uid + 1}:*")):
                return True
            deadline = time.monotonic() + seconds
            with box.idle as idle:
                while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
                    if idle.poll(timeout=1.0):
                        return True
            return False

    def check(self) -> tuple[int, int, bool]:
        """(messages in the folder, UIDVALIDITY, whether the server has IDLE)."""
        with self.session() as box:
            status = box.folder.status(self.folder, ["MESSAGES", "UIDVALIDITY"])
            return int(status.get("MESSAGES", 0)), int(status.get("UIDVALIDITY", 0)), "IDLE" in box.client.capabilities

    def append(self, raw: bytes) -> None:
        """Put a mail into the folder (the tests deliver mail this way)."""
        with self.session() as box:
            box.append(raw, self.folder, flag_set=())
