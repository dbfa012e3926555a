"""A client for `helpdesk chat --json` running as a real subprocess, and `helpdesk` commands run as one or, where
only their output matters, in the test's own process."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from app.cli import cli

READ_TIMEOUT = 60.0


def helpdesk_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(HELPDESK_DATABASE_URL=database_url, HELPDESK_DATA_DIR=str(data_dir),
               # lexical matching, as in-process tests have it: with encoders, answers would change the moment
               # the entry vectors finish encoding in the background
               HELPDESK_SEMANTIC=os.environ.get("HELPDESK_SEMANTIC", "false"))
    return env


def helpdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def helpdesk_here(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """`helpdesk` run in this process with `env`'s settings (and no other HELPDESK_ variable), `stdin` on its
    standard input, for a test that needs what a command says or does rather than its process: a process start
    costs seconds, most of them importing what this process has imported already. It runs in a thread of its
    own, where the command can run its event loop even while the test's thread has one (Playwright's)."""
    settings = {k: v for k, v in env.items() if k.startswith("HELPDESK_")}
    others: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HELPDESK_") and k not in settings}
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(CliRunner().invoke, cli, list(args), input=stdin, env=others | settings).result()


class JsonChat:
    """Writes one JSON line, reads the one line that answers it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "chat", "--json"], env=env, text=True, bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.sent = 0
        self.last: dict[str, Any] = {}

    def send_raw(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.sent += 1
        ready, _, _ = select.select([self.proc.stdout], [], [], READ_TIMEOUT)
        assert ready, "no answer from helpdesk chat --json"
        answer = self.proc.stdout.readline()
        assert answer, f"helpdesk exited: {self.proc.stderr.read() if self.proc.stderr else ''}"
        self.last = json.loads(answer)
        return self.last

    def send(self, user: str, text: str | None = None, choice: str | None = None,
             message_id: str | None = None) -> dict[str, Any]:
        line: dict[str, Any] = {"user": user}
        line.update({k: v for k, v in (("text", text), ("choice", choice), ("id", message_id)) if v is not None})
        return self.send_raw(json.dumps(line, ensure_ascii=False))

    def labels(self) -> list[str]:
        return [c["label"] for r in self.last.get("replies", []) for c in r["choices"]]

    def choose(self, user: str, words: str, message_id: str | None = None) -> dict[str, Any]:
        """Type the label of the offered option that contains `words`, as a user reading the menu would."""
        label = next((lab for lab in self.labels() if words.lower() in lab.lower()), None)
        assert label, f"no option like {words!r} in {self.labels()}"
        return self.send(user, text=label, message_id=message_id)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
