"""Only the provider can drive a call: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

import httpx

from tests.voice.conftest import signed

FORM = {"CallSid": "CA1", "From": "+919876543210", "Digits": "1"}


async def test_a_request_signed_with_another_token_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/voice/incoming", data=FORM, headers=signed("/voice/incoming", FORM, "wrong"))
    assert answer.status_code == 403
    assert "X-Twilio-Signature" in answer.json()["message"]


async def test_an_unsigned_request_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post("/voice/step", data=FORM)).status_code == 403


async def test_a_signature_for_other_fields_or_another_url_is_refused(client: httpx.AsyncClient) -> None:
    tampered = {**FORM, "Digits": "0"}
    assert (await client.post("/voice/step", data=tampered, headers=signed("/voice/step", FORM))).status_code == 403
    answer = await client.post("/voice/step", data=FORM, headers=signed("/voice/incoming", FORM))
    assert answer.status_code == 403


async def test_a_signed_request_is_answered_with_twiml(client: httpx.AsyncClient) -> None:
    answer = await client.post("/voice/incoming", data=FORM, headers=signed("/voice/incoming", FORM))
    assert answer.status_code == 200 and answer.text.startswith("<?xml")
