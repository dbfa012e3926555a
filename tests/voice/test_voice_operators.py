"""Operators see voice tickets like any other; roles that never call back see only the number's last 4 digits."""

from __future__ import annotations

import httpx

from api.tokens import SqlTokenStore
from app.wiring import Services
from tests.voice.conftest import Phone
from tests.voice.fake_provider import FakeProvider, tone_wav
from tests.voice.test_voice_call import set_up_profile, triage_and_file


async def token(services: Services, role: str, team: str | None = None) -> dict[str, str]:
    async with services.sessions() as session, session.begin():
        made = await SqlTokenStore(session).create(f"{role}-1", role, team, [t.code for t in services.settings.teams])
    return {"Authorization": f"Bearer {made}"}


async def test_the_caller_number_is_masked_for_tier_teams_and_whole_for_l1(
    phone: Phone, provider: FakeProvider, services: Services, client: httpx.AsyncClient
) -> None:
    await set_up_profile(phone)
    await phone.record(provider.add_recording("RE9", tone_wav(0.5)), seconds=1)
    await triage_and_file(phone)
    operator, tier = await token(services, "operator"), await token(services, "tier", "vendor")

    seen = (await client.get("/api/tickets/HD-000001", headers=operator)).json()
    assert seen["channel"] == "voice" and seen["user_id"] == "+919876543210"
    assert seen["attachments"][0]["kind"] == "audio"
    escalated = await client.post("/api/tickets/HD-000001/escalate", json={"team": "vendor"},
                                  headers={**operator, "If-Match": f'"{seen["version"]}"'})
    assert escalated.status_code == 200, escalated.text

    for answer in (await client.get("/api/tickets/HD-000001", headers=tier),
                   await client.post("/api/tickets/HD-000001/notes", json={"text": "listening"}, headers=tier)):
        assert answer.status_code == 200 and answer.json()["user_id"] == "*********3210"
    queue = (await client.get("/api/tickets", headers=tier)).json()
    assert [t["user_id"] for t in queue["items"]] == ["*********3210"]
