"""Crash soak: simulated users talk to a real `helpdesk serve` over the HTTP chat channel while a killer
SIGKILLs the server at random moments and starts it again; an operator answers every ticket through the
API. Used by the suite's short soak and by `tests/soak/run_soak.py` (the full one).

Users behave as a careful client does: every message has an id, and a request that fails (connection
refused or reset, 5xx) is sent again with the same id until it gets an answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from core.db import sync_url
from tests.jsonchat import helpdesk_here
from tests.serving import free_port

KEY = "soak-key"
INTEGRATION = "soak"
PROBLEM = "The attendance page shows an error and the muster roll total is wrong"
# (state the user is in, words of the option they pick); a state not listed here is answered by text
PATH = {
    "awaiting_language": "English",
    "awaiting_role": "Junior",
    "awaiting_ulb": "Jatni",
    "offering_faq": "not my problem",
    "awaiting_module": "muster roll",
    "awaiting_category": "not working",
    "awaiting_impact": "only for me",
    "awaiting_workaround": "No",
    "confirming": "file it",
}
START_TIMEOUT_S = 90.0


def soak_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(HELPDESK_DATABASE_URL=database_url, HELPDESK_DATA_DIR=str(data_dir), HELPDESK_SEMANTIC="false",
               HELPDESK_CHANNEL_KEYS=json.dumps({INTEGRATION: KEY}), HELPDESK_CHAT_MESSAGES_PER_MINUTE="0",
               HELPDESK_API_REQUESTS_PER_MINUTE="0",  # simulated users type faster than people
               HELPDESK_WEBHOOK_ALLOW_PRIVATE="true",  # a loopback receiver
               HELPDESK_CHAT_LIMIT_EXEMPT_ADDRESSES='["127.0.0.1"]',  # and all come from one address
               HELPDESK_CHAT_CONVERSATIONS_OVERALL_PER_HOUR="0", HELPDESK_CHAT_MESSAGES_OVERALL_PER_MINUTE="0",
               **extra)
    return env


def operator_token(env: dict[str, str], name: str = "soak-op", role: str = "operator") -> str:
    """A token made with `helpdesk tokens create`, run in this process (a process start costs seconds)."""
    done = helpdesk_here(env, "tokens", "create", "--name", name, "--role", role)
    assert done.exit_code == 0, done.output
    return done.stdout.strip()


class Server:
    """A `helpdesk serve` subprocess that can be killed without warning and started again."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env, self.port = env, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.up = asyncio.Event()
        self.starts = 0
        self.log_path: Path | None = None

    def log_tail(self) -> str:
        """The end of the running server's log (empty when it logged nothing)."""
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path else ""

    async def start(self) -> None:
        # the server's log goes to a file: an unread pipe fills up and then blocks the server mid-request
        self.starts += 1
        self.log_path = log_path = Path(self.env["HELPDESK_DATA_DIR"]).parent / f"serve-{self.port}-{self.starts}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log_file:
            self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(self.port)],
                                         env=self.env, stdout=subprocess.DEVNULL, stderr=log_file)
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(timeout=1) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    error = log_path.read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"helpdesk serve exited: {error}")
                try:
                    if (await http.get(f"{self.url}/readyz")).status_code == 200:
                        self.up.set()
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        self.proc.kill()
        raise RuntimeError("helpdesk serve did not become ready")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, open transactions cut off mid-way."""
        self.up.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


@dataclass
class User:
    name: str
    state: str | None = None
    choices: list[dict[str, str]] = field(default_factory=list)
    ticket: str | None = None
    replies_seen: dict[str, int] = field(default_factory=dict)  # operator reply text -> times shown
    sent: int = 0
    retries: int = 0

    @property
    def done(self) -> bool:
        return self.ticket is not None and bool(self.replies_seen)


@dataclass
class Report:
    users: int
    kills: int
    tickets: int
    lost: int
    duplicated: int
    messages: int
    retries: int
    completed: int
    state_mismatches: list[str]
    replies_undelivered: int
    replies_shown_twice: int
    problems: list[str]

    def line(self) -> str:
        return (f"users={self.users} kills={self.kills} messages={self.messages} retries={self.retries} "
                f"completed={self.completed} tickets={self.tickets} lost={self.lost} duplicated={self.duplicated} "
                f"replies_undelivered={self.replies_undelivered} replies_shown_twice={self.replies_shown_twice}")


def reply_text(number: str) -> str:
    return f"Soak answer for {number}: please reload the muster roll page."


class Soak:
    def __init__(self, server: Server, token: str, users: int, kills: int, seed: int,
                 think_s: tuple[float, float] = (0.05, 0.4)) -> None:
        self.server, self.token, self.kills_planned = server, token, kills
        self.users = [User(f"user{i:04d}") for i in range(users)]
        self.rng = random.Random(seed)
        self.think_s = think_s
        self.kills = 0
        self.filed: asyncio.Queue[str] = asyncio.Queue()
        self.answered: set[str] = set()
        self.killed_all = asyncio.Event()
        self.last_server_error = ""  # shown if the run times out: a 5xx repeated for ever looks like a hang

    async def _post(self, http: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response | None:
        """One attempt; None when the server was down or failed (the caller retries the same request)."""
        try:
            response = await http.post(f"{self.server.url}{path}", **kwargs)
        except httpx.TransportError:
            return None
        if response.status_code >= 500:
            self.last_server_error = f"{response.status_code} {response.text[:300]}"
            return None
        return response

    async def _send(self, http: httpx.AsyncClient, user: User, body: dict[str, Any]) -> dict[str, Any]:
        user.sent += 1
        body = {"user": user.name, "id": f"{user.name}-{user.sent}", **body}
        while True:
            await self.server.up.wait()
            response = await self._post(http, "/chat/messages", json=body, headers={"X-Channel-Key": KEY})
            if response is not None:
                if response.status_code != 200:
                    raise AssertionError(f"{user.name}: {response.status_code} {response.text}")
                answer: dict[str, Any] = response.json()
                self._read(user, answer)
                return answer
            user.retries += 1
            await asyncio.sleep(0.05)

    def _read(self, user: User, answer: dict[str, Any]) -> None:
        user.state = answer["state"]
        user.choices = [c for r in answer["replies"] for c in r["choices"]]
        if answer["ticket"]:
            if user.ticket is not None and user.ticket != answer["ticket"]:
                raise AssertionError(f"{user.name} was given a second ticket {answer['ticket']}")
            user.ticket = answer["ticket"]
            self.filed.put_nowait(answer["ticket"])
        for reply in answer["replies"]:
            if user.ticket and reply_text(user.ticket) in reply["text"]:
                user.replies_seen[user.ticket] = user.replies_seen.get(user.ticket, 0) + 1

    async def _user(self, http: httpx.AsyncClient, user: User) -> None:
        await self._send(http, user, {"text": "hello"})
        while not user.done or not self.killed_all.is_set():  # done users keep chatting while kills remain
            await asyncio.sleep(self.rng.uniform(*self.think_s))
            words = PATH.get(user.state or "")
            choice = next((c for c in user.choices if words and words.lower() in c["label"].lower()), None)
            if user.ticket:
                await self._send(http, user, {"text": "status"})  # waiting for the operator's answer
            elif choice is not None:
                await self._send(http, user, {"choice": choice["id"]})
            elif user.state == "awaiting_problem":
                await self._send(http, user, {"text": PROBLEM})
            else:
                raise AssertionError(f"{user.name} is stuck in {user.state} with {user.choices}")

    async def _operator(self, http: httpx.AsyncClient) -> None:
        """Answers every filed ticket once; after a failed request, looks before answering again."""
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            number = await self.filed.get()
            if number in self.answered:
                continue
            while True:
                await self.server.up.wait()
                response = await self._post(http, f"/api/tickets/{number}/reply", headers=headers,
                                            json={"text": reply_text(number)})
                if response is not None:
                    assert response.status_code == 200, response.text
                    break
                if await self._already_replied(http, number, headers):
                    break
            self.answered.add(number)

    async def _already_replied(self, http: httpx.AsyncClient, number: str, headers: dict[str, str]) -> bool:
        while True:
            await self.server.up.wait()
            try:
                shown = await http.get(f"{self.server.url}/api/tickets/{number}", headers=headers)
            except httpx.TransportError:
                continue
            if shown.status_code < 500:
                return any(m["kind"] == "reply" for m in shown.json()["messages"])

    async def _killer(self) -> None:
        while self.kills < self.kills_planned:
            await asyncio.sleep(self.rng.uniform(0.2, 1.2))
            self.server.kill()
            self.kills += 1
            await self.server.start()
        self.killed_all.set()

    async def run(self, timeout_s: float) -> None:
        await self.server.start()
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            operator = asyncio.create_task(self._operator(http))
            killer = asyncio.create_task(self._killer())
            users = [asyncio.create_task(self._user(http, u)) for u in self.users]
            try:  # the first failure of any task (a user, the operator, the killer) ends the run
                deadline = time.monotonic() + timeout_s
                pending = {operator, killer, *users}
                while any(not task.done() for task in users):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"soak did not finish in {timeout_s} s: {self._progress()}; "
                                           f"their outbox rows: {self._outbox_of_stuck()}; "
                                           f"last 5xx: {self.last_server_error}; server log: {self.server.log_tail()}")
                    done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
            finally:
                for task in [operator, killer, *users]:
                    task.cancel()

    def _progress(self) -> str:
        stuck = [f"{u.name}@{u.state}/{u.ticket}" for u in self.users if not u.done]
        return f"kills {self.kills}, answered {len(self.answered)}, not done: {stuck[:10]}"

    def _outbox_of_stuck(self) -> list[tuple[Any, ...]]:
        """What the database holds for users still waiting, to tell a lost reply from a slow one."""
        keys = [f"{INTEGRATION}:{u.name}" for u in self.users if not u.done][:10]
        db = create_engine(sync_url(self.server.env["HELPDESK_DATABASE_URL"]))
        try:
            with db.connect() as conn:
                rows = conn.execute(text(
                    "SELECT user_id, kind, attempts, next_attempt_at, delivered_at FROM outbox WHERE channel = 'http'"
                )).all()
        finally:
            db.dispose()
        return [tuple(r) for r in rows if r[0] in keys]

    def report(self, database_url: str) -> Report:
        """Compare what the users were told with what the database holds."""
        db = create_engine(sync_url(database_url))
        with db.connect() as conn:
            tickets = conn.execute(text("SELECT number, user_id FROM tickets WHERE channel = 'http'")).all()
            stored = conn.execute(text("SELECT user_id, state FROM conversations WHERE channel = 'http'")).all()
            states: dict[str, str] = {user_id: state for user_id, state in stored}
            replies = conn.execute(text(
                "SELECT user_id, delivered_at FROM outbox WHERE channel = 'http' AND kind = 'operator_reply'"
            )).all()
        db.dispose()
        by_user: dict[str, list[str]] = {}
        for number, user_id in tickets:
            by_user.setdefault(user_id, []).append(number)
        told = {f"{INTEGRATION}:{u.name}": u for u in self.users}
        lost = sum(1 for key, u in told.items() if u.ticket and u.ticket not in by_user.get(key, []))
        duplicated = sum(len(numbers) - 1 for numbers in by_user.values())
        problems = [f"ticket {n} of unknown user {k}" for k, ns in by_user.items() if k not in told for n in ns]
        mismatches = [f"{u.name}: told {u.state}, stored {states.get(key)}" for key, u in told.items()
                      if states.get(key) != u.state]
        return Report(
            users=len(self.users), kills=self.kills, tickets=len(tickets), lost=lost, duplicated=duplicated,
            messages=sum(u.sent for u in self.users), retries=sum(u.retries for u in self.users),
            completed=sum(1 for u in self.users if u.done), state_mismatches=mismatches,
            replies_undelivered=sum(1 for _, at in replies if at is None),
            replies_shown_twice=sum(1 for u in self.users for n in u.replies_seen.values() if n > 1),
            problems=problems,
        )
