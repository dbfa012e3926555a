"""`helpdesk whatsapp check|templates` against the fake Cloud API."""

from __future__ import annotations

from pathlib import Path

from tests.jsonchat import helpdesk, helpdesk_env
from tests.whatsapp.conftest import TEMPLATES, VERIFY_TOKEN
from tests.whatsapp.fake_cloud_api import APP_SECRET, PHONE_NUMBER_ID, TOKEN, VERSION, WABA_ID, FakeCloudApi


def env_for(fake: FakeCloudApi, tmp_path: Path, **extra: str) -> dict[str, str]:
    return helpdesk_env(f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "data") | {
        "HELPDESK_WHATSAPP_TOKEN": TOKEN, "HELPDESK_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "HELPDESK_WHATSAPP_APP_SECRET": APP_SECRET, "HELPDESK_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "HELPDESK_WHATSAPP_API_URL": f"{fake.url}/{VERSION}", "HELPDESK_WHATSAPP_BUSINESS_ACCOUNT_ID": WABA_ID,
        "HELPDESK_WHATSAPP_TEMPLATES": '{"operator_reply": "helpdesk_operator_reply", '
                                       '"ticket_resolved": "helpdesk_ticket_resolved", "other": "helpdesk_update"}',
    } | extra


def test_check_passes_when_the_number_the_subscription_and_every_template_are_there(
    fake: FakeCloudApi, tmp_path: Path
) -> None:
    done = helpdesk(env_for(fake, tmp_path), "whatsapp", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   phone number: +91 674 000 0000 (MUKTA Helpdesk)" in done.stdout
    assert done.stdout.count("ok   template") == len(set(TEMPLATES.values())) * 3


def test_check_names_a_bad_token_and_a_missing_template(fake: FakeCloudApi, tmp_path: Path) -> None:
    wrong = env_for(fake, tmp_path, HELPDESK_WHATSAPP_TOKEN="wrong")  # noqa: S106 (a wrong token on purpose)
    bad = helpdesk(wrong, "whatsapp", "check")
    assert bad.returncode == 1 and "fail phone number: Invalid OAuth access token" in bad.stdout
    fake.approved_templates.discard(("helpdesk_update", "or"))
    missing = helpdesk(env_for(fake, tmp_path), "whatsapp", "check")
    assert missing.returncode == 1 and "fail template helpdesk_update/or: missing" in missing.stdout


def test_templates_prints_each_template_in_each_language(fake: FakeCloudApi, tmp_path: Path) -> None:
    done = helpdesk(env_for(fake, tmp_path), "whatsapp", "templates")
    assert done.returncode == 0
    assert done.stdout.count("category: UTILITY") == 9
    assert "MUKTA ହେଲ୍ପଡେସ୍କରୁ ସୂଚନା: {{1}}" in done.stdout
