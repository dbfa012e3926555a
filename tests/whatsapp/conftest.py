"""Fixtures: the fake Cloud API on 127.0.0.1, the real WhatsApp channel pointed at it, and the channel's
webhook route on an app a test client posts to as Meta would. One clock for both sides."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.wiring import Services, build_services
from bot.whatsapp_channel import WhatsAppChannel
from core.settings import Settings
from tests.whatsapp.fake_cloud_api import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERSION,
    WABA_ID,
    FakeCloudApi,
    TestClock,
    start_of_test,
)

VERIFY_TOKEN = "verify-me"  # noqa: S105
TEMPLATES = {"operator_reply": "helpdesk_operator_reply", "ticket_resolved": "helpdesk_ticket_resolved",
             "other": "helpdesk_update"}


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start_of_test())


@pytest.fixture
def fake(clock: TestClock) -> Iterator[FakeCloudApi]:
    approved = {(name, code) for name in TEMPLATES.values() for code in ("en", "or", "hi")}
    with FakeCloudApi(clock, approved_templates=approved).running() as api:
        yield api


@pytest.fixture
def wa_settings(settings: Settings, fake: FakeCloudApi) -> Settings:
    return settings.model_copy(update={
        "whatsapp_token": TOKEN, "whatsapp_phone_number_id": PHONE_NUMBER_ID, "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN, "whatsapp_api_url": f"{fake.url}/{VERSION}",
        "whatsapp_business_account_id": WABA_ID, "whatsapp_templates": TEMPLATES,
        "whatsapp_messages_per_second": 1000.0,
    })


@dataclass
class WhatsApp:
    """The helpdesk's side: services, the channel, and a client that posts to its webhook."""

    services: Services
    channel: WhatsAppChannel
    webhook: httpx.AsyncClient


@pytest.fixture
async def whatsapp(settings: Settings, wa_settings: Settings, clock: TestClock) -> AsyncIterator[WhatsApp]:
    services = build_services(settings)  # no WhatsApp settings: the test builds the channel with its clock
    channel = WhatsAppChannel(wa_settings, services.sessions, services.engine, clock=clock)
    app = FastAPI()
    app.include_router(channel.router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as client:
        yield WhatsApp(services, channel, client)
    await channel.close()
    await services.db.dispose()
