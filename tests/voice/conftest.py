"""Voice fixtures: the real app with the voice line on, a fake provider media host, and a phone that posts
provider-shaped, signed webhooks and reads the TwiML answers with an XML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from app.wiring import Services, build_app, build_services
from core.settings import Settings
from tests.voice.fake_provider import FakeProvider

AUTH_TOKEN = "voice-test-token"  # noqa: S105 (a fake account's token)
ACCOUNT_SID = "AC-test"
PUBLIC_URL = "https://helpdesk.example.org"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider(ACCOUNT_SID, AUTH_TOKEN).running() as fake:
        yield fake


@pytest.fixture
async def services(settings: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    settings = settings.model_copy(update={
        "voice_auth_token": AUTH_TOKEN, "voice_account_sid": ACCOUNT_SID, "voice_public_url": PUBLIC_URL,
        "voice_recording_hosts": ["127.0.0.1"],
    })
    built = build_services(settings)
    yield built
    await built.db.dispose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as c:
        yield c


def signed(path: str, form: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    """The X-Twilio-Signature header the provider sends with this form to this path."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_URL + path, form)}


class Phone:
    """One caller's phone: each call posts what the provider would, and keeps the last TwiML answer."""

    def __init__(self, client: httpx.AsyncClient, number: str) -> None:
        self.client, self.number = client, number
        self.calls = 0
        self.sid = ""
        self.twiml = ET.Element("Response")

    async def post(self, path: str, **fields: str) -> ET.Element:
        form = {"CallSid": self.sid, "From": self.number, "To": "+911234567890", "AccountSid": ACCOUNT_SID,
                **fields}
        answer = await self.client.post(path, data=form, headers=signed(path, form))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/xml")
        self.twiml = ET.fromstring(answer.text)  # noqa: S314 (our own app's answer)
        return self.twiml

    async def ring(self) -> ET.Element:
        self.calls += 1
        self.sid = f"CA{self.number[-4:]}{self.calls:04d}"
        return await self.post("/voice/incoming", CallStatus="ringing")

    async def press(self, digits: str) -> ET.Element:
        return await self.post("/voice/step", Digits=digits)

    async def stay_silent(self) -> ET.Element:
        return await self.post("/voice/step")  # what the <Redirect> after a <Gather> posts: no Digits

    async def record(self, url: str, seconds: int) -> ET.Element:
        return await self.post("/voice/recorded", RecordingUrl=url, RecordingDuration=str(seconds))

    def said(self) -> list[str]:
        """The texts of every <Say>, in order (inside the <Gather> too)."""
        return [node.text or "" for node in self.twiml.iter("Say")]

    def spoken(self) -> str:
        return " ".join(self.said())

    def played(self) -> list[str]:
        return [node.text or "" for node in self.twiml.iter("Play")]

    def verbs(self) -> list[str]:
        return [node.tag for node in self.twiml]


@pytest.fixture
def phone(client: httpx.AsyncClient) -> Phone:
    return Phone(client, "+919876543210")
