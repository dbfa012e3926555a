"""JIRA fixtures: the fake JIRA on 127.0.0.1, the real app configured for it, and bug tickets to hand off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from app.wiring import Services, build_app, build_services
from core.messages import Attachment, Inbound
from core.settings import Settings
from jira_link.sender import JiraSender
from tests.api.conftest import auth
from tests.clock import FixedClock
from tests.fakes import ScriptedChat
from tests.jira.fake_jira import TOKEN, USER, FakeJira
from tests.security.identity_helpers import use_clock
from tickets.attachments import AttachmentStore

SECRET = "jira-hook-secret"  # noqa: S105 (the test's shared secret)


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    with FakeJira().running() as server:
        yield server


@pytest.fixture
def jira_settings(settings: Settings, fake: FakeJira) -> Settings:
    return settings.model_copy(update={"jira_url": fake.url, "jira_user": USER, "jira_token": TOKEN,
                                       "jira_webhook_secret": SECRET})


@pytest.fixture
async def services(jira_settings: Settings) -> AsyncIterator[Services]:
    built = build_services(jira_settings)
    yield built
    await built.db.dispose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(services)
    use_clock(app, FixedClock())  # escalations, JIRA's news and what the outbox holds, at START
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as c:
        yield c


@pytest.fixture
async def operator(services: Services) -> dict[str, str]:
    """An operator's request headers (bearer token)."""
    from api.tokens import SqlTokenStore

    async with services.sessions() as session, session.begin():
        token = await SqlTokenStore(session).create("l1-anita", "operator", None, [])
    return auth(token)


@pytest.fixture
def sender(services: Services) -> JiraSender:
    return JiraSender(services.sessions, services.settings)


FileBug = Callable[..., Awaitable[ScriptedChat]]


@pytest.fixture
def file_bug(services: Services) -> FileBug:
    """A user files a ticket through the engine, in the category they pick; returns their chat."""

    async def file(user: str = "ravi", description: str = "the bill page shows an error when I save",
                   category: str = "has a bug", screenshot: bytes | None = None) -> ScriptedChat:
        chat = ScriptedChat(services.engine, user)
        await chat.set_up_profile()
        attachments = []
        if screenshot is not None:
            store = AttachmentStore(services.settings.attachments_dir)
            stored = store.save(screenshot, mime="image/png")
            attachments.append(Attachment(stored.ref, "image", "bill-error.png"))
        chat.last = await services.engine.handle(Inbound(chat.user, text=description, attachments=tuple(attachments)))
        if await chat.state() == "offering_faq":
            await chat.pick("not my problem")
        await chat.pick("Bills")
        await chat.pick(category)
        await chat.pick("only for me")
        await chat.pick("No")
        await chat.pick("file it")
        assert chat.ticket, chat.text
        return chat

    return file
