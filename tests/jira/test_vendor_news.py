"""What the vendor does in JIRA comes back: a resolution or a public comment reaches the user's chat."""

from __future__ import annotations

from typing import Any

import httpx
from jira import JIRA

from app.wiring import Services
from jira_link.client import connect
from jira_link.sender import JiraSender
from tests.clock import START
from tests.jira.conftest import SECRET, FileBug
from tests.jira.fake_jira import FakeJira
from tests.jira.test_handoff import _deliver, _escalate
from tickets.delivery import deliver_due


async def _handed_off(services: Services, client: httpx.AsyncClient, operator: dict[str, str],
                      sender: JiraSender, number: str | None) -> str:
    assert number
    await _escalate(client, operator, number)
    await _deliver(services, sender)
    ticket = (await client.get(f"/api/tickets/{number}", headers=operator)).json()
    assert ticket["jira_key"]
    return str(ticket["jira_key"])


def _resolve_in_jira(services: Services, fake: FakeJira, key: str, version: str | None) -> dict[str, Any]:
    """A developer resolves the issue (through the real client), and JIRA's webhook body for it."""
    if version:
        fake.set_fix_version(key, version)
    developer: JIRA = connect(services.settings)
    transition = next(t for t in developer.transitions(key) if t["name"] == "Resolve")
    developer.transition_issue(key, transition["id"])
    developer.close()  # type: ignore[no-untyped-call]
    return fake.issue_updated(key, {"resolution": (None, "Fixed"), "status": ("Open", "Done")})


async def _post(client: httpx.AsyncClient, body: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    params = {"secret": secret} if secret is not None else {}
    return await client.post("/api/jira/webhook", json=body, params=params)


async def test_a_jira_resolution_reaches_the_user_s_chat_with_the_fix_version(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    number = chat.ticket
    key = await _handed_off(services, client, operator, sender, number)
    body = _resolve_in_jira(services, fake, key, "2.9.1")
    first, again = await _post(client, body), await _post(client, body)  # JIRA retries a delivery
    assert first.json() == {"outcome": "applied"} and again.json() == {"outcome": "duplicate"}
    await chat.send("status")
    told = [r.text for r in chat.last if "fixed in version" in r.text]
    assert told == [f"Good news about your ticket {number}: the problem you reported has been fixed in version "
                    "2.9.1 of the app. Please update the app; if the problem is still there after that, reply here."]
    await chat.send("status")
    assert "fixed in version" not in chat.text, "told once"
    ticket = (await client.get(f"/api/tickets/{number}", headers=operator)).json()
    [event] = [e for e in ticket["events"] if e["action"] == "vendor_update"]
    assert event["actor"] == f"jira:{key}" and event["reason"] == f"JIRA {key} is now Done (Fixed), fix version 2.9.1"
    assert ticket["messages"][-1]["text"] == f"Fixed by the vendor team ({key}, version 2.9.1)"


async def test_an_odia_speaker_hears_of_the_fix_in_odia_and_a_push_channel_gets_it_from_the_worker(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    number = chat.ticket
    await chat.send("language")
    await chat.pick("Odia")
    key = await _handed_off(services, client, operator, sender, number)
    assert (await _post(client, _resolve_in_jira(services, fake, key, None))).json() == {"outcome": "applied"}
    pushed: list[str] = []

    class Console:  # the console stands in for a push channel here: what the worker would render and send
        async def send(self, item: Any) -> None:
            pushed.append((await services.engine.render_for(chat.user, item.kind, item.payload)).text)

    result = await deliver_due(services.sessions, {"console": Console()}, now=START)
    assert len(result.delivered) == 2  # the escalation's news, then the fix
    assert pushed[0].startswith(f"ଆପଣଙ୍କ ଟିକେଟ {number} ଏବେ ଏହି ଦଳ ପାଖରେ ଅଛି: ଆପ ନିର୍ମାତା ସଂସ୍ଥାର ବୈଷୟିକ ଦଳ")
    assert pushed[1:] == [f"ଆପଣଙ୍କ ଟିକେଟ {number} ପାଇଁ ଭଲ ଖବର: ଆପ ତିଆରି କରୁଥିବା ଦଳ ଆପଣ ଜଣାଇଥିବା ସମସ୍ୟା ଠିକ "
                      "କରିଦେଇଛନ୍ତି। ଆପର ପରବର୍ତ୍ତୀ ଅପଡେଟରେ ଏହି ସୁଧାର ଆପଣଙ୍କ ପାଖରେ ପହଞ୍ଚିବ; ତା'ପରେ ବି ସମସ୍ୟା ରହିଲେ, "
                      "ଏଠାରେ ଉତ୍ତର ଦିଅନ୍ତୁ।"]


async def test_a_public_comment_is_relayed_and_internal_ones_and_our_transcript_are_not(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    number = chat.ticket
    key = await _handed_off(services, client, operator, sender, number)
    internal = fake.comment_created(key, "INTERNAL: the iFIX adapter drops the bill id", internal=True)
    public = fake.comment_created(key, "Please clear the app cache once; the fix ships on Friday.")
    transcript = {"webhookEvent": "comment_created", "issue": {"key": key},
                  "comment": fake.issues()[0]["fields"]["comment"]["comments"][0]}
    outcomes = [(await _post(client, body)).json()["outcome"] for body in (internal, transcript, public)]
    assert outcomes == ["ignored", "ignored", "applied"]
    await chat.send("status")
    assert "is now with the Product vendor technical team" in chat.last[0].text  # the escalation's news
    assert chat.last[1].text == (f"The app's developers wrote about your ticket {number}:\n"
                                 "Please clear the app cache once; the fix ships on Friday.")
    assert "INTERNAL" not in chat.text


async def test_the_webhook_refuses_a_wrong_secret_and_acknowledges_what_it_cannot_use(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    number = chat.ticket
    key = await _handed_off(services, client, operator, sender, number)
    body = _resolve_in_jira(services, fake, key, "2.9.1")
    assert (await _post(client, body, secret="guess")).status_code == 403  # noqa: S106
    assert (await _post(client, body, secret=None)).status_code == 403
    header = await client.post("/api/jira/webhook", json=body, headers={"X-Helpdesk-Secret": SECRET})
    assert header.json() == {"outcome": "applied"}
    garbage = await client.post("/api/jira/webhook", params={"secret": SECRET}, content=b"{not json")
    odd = await _post(client, {"webhookEvent": "jira:issue_updated", "issue": {"key": key, "fields": []},
                               "changelog": {"id": "1", "items": [{"field": "status"}]}})
    other = await _post(client, {**body, "issue": {**body["issue"], "key": "MUKTA-999"},
                                 "changelog": {"id": "777", "items": body["changelog"]["items"]}})
    assert [r.status_code for r in (garbage, odd, other)] == [200, 200, 200]
    assert other.json() == {"outcome": "unknown issue"}


async def test_a_cloud_comment_in_jira_s_document_format_is_relayed_as_plain_text(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    number = chat.ticket
    key = await _handed_off(services, client, operator, sender, number)
    document = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Fixed on the server. "},
                                          {"type": "text", "text": "Please retry.", "marks": [{"type": "strong"}]}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Thanks for reporting."}]}]}
    body = {"webhookEvent": "comment_created", "issue": {"key": key},
            "comment": {"id": "20001", "body": document, "author": {"displayName": "Dev One"}}}
    assert (await _post(client, body)).json() == {"outcome": "applied"}
    await chat.send("status")
    assert "is now with the Product vendor technical team" in chat.last[0].text  # the escalation's news
    assert chat.last[1].text == (f"The app's developers wrote about your ticket {number}:\n"
                                 "Fixed on the server. Please retry.\nThanks for reporting.")
