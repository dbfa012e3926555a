"""Users who report problems through the bot, and the spotting job run as `helpdesk serve` runs it."""

from __future__ import annotations

from collections.abc import Sequence

from app.clustering import problem_cluster
from app.wiring import Services
from tests.fakes import ScriptedChat
from tickets.problem_spotting import SpotResult, spot
from tickets.store import SqlTicketStore, TicketDraft


class User(ScriptedChat):
    """A user who reports a problem through the bot, as a channel would send it."""

    async def report(self, description: str, module: str = "Payments", ulb: str = "Jatni") -> str | None:
        """Describe the problem; file it through triage unless the bot offers a known problem (then stop)."""
        if await self.state() is None:
            await self.send("hello")
            await self.pick("English")
            await self.pick("Junior")
            await self.pick(ulb)
        await self.send(description)
        if await self.state() == "asking_followup":  # they have a ticket open already
            await self.pick("new problem")
        if await self.state() == "offering_problem":
            return None
        if await self.state() == "offering_faq":
            await self.pick("not my problem")
        await self.pick(module)
        await self.pick("not working")
        await self.pick("only for me")
        await self.pick("No")
        await self.pick("file it")
        assert self.ticket, self.text
        return self.ticket


async def run_spotting(built: Services) -> SpotResult:
    """The spotting job once, grouping as `helpdesk serve` does (the knowledge base's synonyms)."""
    cluster = problem_cluster(built.settings, built.matcher.knowledge_base.synonyms)
    return await spot(built.sessions, built.settings, cluster)


async def file_all(built: Services, reports: Sequence[tuple[str, str, str]]) -> list[str]:
    """(user id, description, module label) each reported through the bot; their ticket numbers."""
    numbers = []
    for user_id, description, module in reports:
        number = await User(built.engine, user_id).report(description, module)
        assert number
        numbers.append(number)
    return numbers


def bearer(token: str, version: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return headers


async def file_directly(built: Services, reports: Sequence[tuple[str, str]], module: str = "payments",
                        channel: str = "console") -> list[str]:
    """(user id, description) each filed straight into the store, as the bot files them after triage."""
    async with built.sessions() as session, session.begin():
        store = SqlTicketStore(session, built.settings.ticket_prefix)
        return [(await store.file(TicketDraft(
            channel=channel, user_id=user_id, role="junior_engineer", ulb="od.jatni", language="en", module=module,
            category="technical", priority="P2", priority_reason="", description=text, team="state_technical",
        ))).number for user_id, text in reports]
