"""Real mail servers on loopback for the e-mail tests: Dovecot (Debian's dovecot-imapd) with a throwaway
configuration in a temporary folder, and aiosmtpd capturing what the helpdesk sends."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
PASSWORD = "secret-for-tests"  # noqa: S105
MAILBOXES = 500

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
protocols = imap
listen = 127.0.0.1
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
default_internal_group = {group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int

    def url(self, number: int) -> str:
        """The IMAP URL of mailbox `number` (each test one of its own; MAILBOXES of them exist)."""
        assert number < MAILBOXES, "more mailboxes than the passwd file has"
        return f"imap://box{number}%40example.org:{PASSWORD}@127.0.0.1:{self.port}/INBOX"


def _users() -> dict[str, Any]:
    """Who Dovecot's processes run as: the current user, or (as root, which Dovecot refuses for logins and
    mail) the users Debian's package created."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return {"internal": me.pw_name, "login": me.pw_name, "group": me.pw_name, "uid": me.pw_uid, "gid": me.pw_gid}
    mail = pwd.getpwnam("dovecot")
    return {"internal": "dovecot", "login": "dovenull", "group": "dovecot", "uid": mail.pw_uid, "gid": mail.pw_gid}


@contextmanager
def dovecot() -> Iterator[Dovecot]:
    assert DOVECOT
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    port = free_port()
    users = _users()
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir()
    (root / "passwd").write_text("".join(f"box{n}@example.org:{{PLAIN}}{PASSWORD}\n" for n in range(MAILBOXES)))
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, **users))
    if os.geteuid() == 0:
        for path in (root, root / "mail", root / "home"):
            os.chown(path, users["uid"], users["gid"])
        os.chmod(root, 0o755)  # noqa: S103 - a throwaway folder of the test's own
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, root)
        yield Dovecot(root, port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    for _ in range(100):
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {log[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start listening")


@dataclass
class Captured:
    """Mail the SMTP server took, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Captured, int]]:
    captured = Captured()
    port = free_port()
    controller = Controller(captured, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield captured, port
    finally:
        controller.stop()
