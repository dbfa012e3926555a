"""End to end in webhook mode: `helpdesk serve --telegram webhook` as a real process, registered with
`helpdesk telegram set-webhook`, and our fake Bot API posting updates to it as Telegram does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.jsonchat import helpdesk, helpdesk_here
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.serving import serving
from tests.telegram.test_telegram_polling_e2e import ASHA, walk_to_confirm


@pytest.fixture
def server(env: dict[str, str], fake: FakeBotApi) -> Iterator[str]:
    with serving(env, fake, "webhook") as url:
        yield url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: test_telegram_webhook.py
def test_a_telegram_user_files_one_ticket_through_the_webhook_however_often_it_is_posted(
    server: str, env: dict[str, str], fake: FakeBotApi
) -> None:
    registered = helpdesk(env, "telegram", "set-webhook", f"{server}/telegram/webhook")
    assert registered.returncode == 0, registered.stderr
    url, secret = fake.webhook()
    assert url == f"{server}/telegram/webhook" and len(secret) >= 32
    assert secret not in registered.stdout + registered.stderr, "the secret is never shown"
    assert sorted(fake.commands()) == ["", "hi", "or"], "the command menu was set at startup"

    start = {"update_id": 1, **fake.text_update(ASHA, "/start")}
    assert fake.post_update(start, secret="not-the-secret") == 403  # noqa: S106 (a wrong secret)
    fake.inject({"a_kind_from_the_future": {"chat": {"id": ASHA}}})  # asserts the webhook answered 200

    calls_before = len(fake.calls())
    walk_to_confirm(fake)
    confirm = {"update_id": 99_999, **fake.press_update(ASHA, "file it")}
    before = len(fake.sent(ASHA))
    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: fake.post_update(confirm), range(5)))  # at once
    statuses += [fake.post_update(confirm) for _ in range(5)]  # and one after another
    said = fake.wait_for_replies(ASHA, before)
    assert statuses == [200] * 10
    [ticket] = json.loads(helpdesk_here(env, "tickets", "list", "--format", "json").stdout)
    assert [line for line in said if ticket["number"] in line]
    assert sum(ticket["number"] in m["text"] for m in fake.sent(ASHA)) == 1, "announced once"
    calls = fake.calls()[calls_before:]
    print(f"\nBot API calls for one conversation (webhook): {len(calls)} "
          f"({', '.join(f'{m} {sum(c.method == m for c in calls)}' for m in sorted({c.method for c in calls}))})")
