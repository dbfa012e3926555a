"""The work `helpdesk serve` does besides answering requests: delivering the outbox (webhooks,
Telegram) and sweeping SLA clocks. Each loop is safe to run in any number of processes at once."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import httpx

from app import cleanup
from app.clustering import problem_cluster
from tickets import problem_spotting, sla_job
from tickets.delivery import Sender, run_forever
from tickets.webhooks import WebhookSender

if TYPE_CHECKING:
    from app.services import Services

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def loops(services: Services, http: httpx.AsyncClient) -> list[Loop]:
    """The background loops for these services; each runs until its stop event is set."""
    webhooks = WebhookSender(services.sessions, http, services.settings.webhook_allow_private,
                             networks=services.settings.webhook_allow_networks)
    senders: dict[str, Sender] = {"webhook": webhooks}
    senders.update({channel.name: channel.sender() for channel in services.channels})
    if services.settings.jira_url:
        from jira_link.sender import JiraSender  # the jira client costs ~6 MiB: loaded only when configured

        senders["jira"] = JiraSender(services.sessions, services.settings)

    async def delivery(stop: asyncio.Event) -> None:
        try:
            await run_forever(services.sessions, senders, services.settings.delivery_seconds, stop)
        finally:
            for channel in services.channels:
                await channel.close()

    async def sla_sweep(stop: asyncio.Event) -> None:
        task = asyncio.create_task(sla_job.run(services.sessions, services.settings, services.policy))
        await stop.wait()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    async def spot_problems(stop: asyncio.Event) -> None:
        cluster = problem_cluster(services.settings, services.matcher.knowledge_base.synonyms)
        task = asyncio.create_task(problem_spotting.run(services.sessions, services.settings, cluster))
        await stop.wait()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    async def clean_up(stop: asyncio.Event) -> None:
        task = asyncio.create_task(cleanup.run(services.sessions, services.settings))
        await stop.wait()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    channel_loops = [loop for channel in services.channels for loop in channel.loops()]
    kb_loops = [services.kb_sync.run] if services.kb_sync is not None else []
    return [delivery, sla_sweep, spot_problems, clean_up, *channel_loops, *kb_loops]


def settle_heap() -> None:
    """What start-up built (the knowledge base's index, catalogues, SQLAlchemy's mappings) lives as long as
    the process: moved out of the garbage collector's sight, so that its full collections stop walking it
    (each was a pause of ~0.1 s in whatever request or turn met it; bench/README.md)."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def running(services: Services) -> AsyncIterator[None]:
    """Start the loops, yield while the server runs, then stop them and wait for them."""
    stop = asyncio.Event()
    settle_heap()
    async with httpx.AsyncClient(timeout=10.0) as http:
        tasks = [asyncio.create_task(loop(stop)) for loop in loops(services, http)]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
