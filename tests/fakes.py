"""Test doubles for ports, and a scripted user that talks to the engine the way a channel does."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from core.messages import Inbound, Reply, UserRef
from flows.engine import Engine
from kb.protocol import Hit, MatchResult, Proposal


@dataclass
class KeywordMatcher:
    """A matcher for flow tests: an entry is a hit when all its keywords are in the text."""

    entries: dict[str, tuple[tuple[str, ...], str, str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def match(
        self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None
    ) -> MatchResult:
        self.calls.append(text)
        lowered = text.lower()
        hits = tuple(
            Hit(entry_id, question, answer, 0.9, "login")
            for entry_id, (words, question, answer) in self.entries.items()
            if all(w in lowered for w in words)
        )[:limit]
        return MatchResult(hits, abstain=not hits)

    def propose(
        self,
        text: str,
        *,
        lang: str | None = None,
        limit: int = 3,
        audience: str | None = None,
        exclude: Collection[str] = (),
    ) -> Proposal:
        """Every keyword hit not excluded, as `match` finds them."""
        found = self.match(text, lang=lang, limit=limit + len(exclude), audience=audience)
        hits = tuple(hit for hit in found.hits if hit.entry_id not in exclude)[:limit]
        return Proposal(hits, abstain=not hits)

    def prepare(self, text: str) -> None:
        """Keyword matching has nothing slow to do ahead."""


def password_matcher() -> KeywordMatcher:
    return KeywordMatcher(
        {
            "forgot-password": (("password",), "I forgot my password", 'Tap "Forgot Password" on the login page.'),
            "otp-not-received": (("otp",), "The OTP does not arrive", "Check the registered mobile number."),
        }
    )


class ScriptedChat:
    """One user talking to the engine; remembers the last replies and the choices they offered."""

    def __init__(self, engine: Engine, user_id: str = "u1", channel: str = "console") -> None:
        self.engine = engine
        self.user = UserRef(channel, user_id)
        self.last: list[Reply] = []

    async def send(self, text: str, message_id: str | None = None) -> list[Reply]:
        self.last = await self.engine.handle(Inbound(self.user, text=text, message_id=message_id))
        return self.last

    async def send_choice(self, choice_id: str, message_id: str | None = None) -> list[Reply]:
        self.last = await self.engine.handle(Inbound(self.user, choice=choice_id, message_id=message_id))
        return self.last

    async def pick(self, label: str, message_id: str | None = None) -> list[Reply]:
        """Tap the offered option whose label contains `label` (as a user taps a button)."""
        choices = [c for r in self.last for c in r.choices]
        matching = [c for c in choices if label.lower() in c.label.lower()]
        assert matching, f"no option like {label!r} in {[c.label for c in choices]}"
        return await self.send_choice(matching[0].id, message_id)

    async def state(self) -> str | None:
        return await self.engine.state_of(self.user)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def labels(self) -> list[str]:
        return [c.label for r in self.last for c in r.choices]

    @property
    def ticket(self) -> str | None:
        return next((r.ticket for r in self.last if r.ticket), None)

    async def set_up_profile(self) -> None:
        await self.send("hello")
        await self.pick("English")
        await self.pick("Junior")
        await self.pick("Jatni")

    async def walk_to_confirm(self, description: str = "the bill page shows an error when I save") -> None:
        if await self.state() is None:
            await self.set_up_profile()
        await self.send(description)
        if await self.state() == "offering_faq":
            await self.pick("not my problem")
        await self.pick("Bills")
        await self.pick("not working")
        await self.pick("only for me")
        await self.pick("No")
