"""Prompts as audio: rendered with espeak-ng, checked with real audio tools, served at stable URLs."""

from __future__ import annotations

import io
import json
import re
import subprocess
import wave
from pathlib import Path

import httpx
import pytest

import bot
from app.wiring import MESSAGES_DIR, Services
from bot.voice_prompts import VOICE_MESSAGES_DIR
from core.i18n import Catalog, check_catalog
from tests.jsonchat import helpdesk_env, helpdesk_here
from tests.voice.conftest import PUBLIC_URL, Phone
from tickets.lifecycle import STATUSES

ODIA_KEYS = ("greeting", "ask.main", "digit.d7", "menu.module.bills.7")


def duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return float(audio.getnframes() / audio.getframerate())


def sox_seconds(path: Path) -> float:
    info = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(info.stdout)


async def test_render_prompts_writes_odia_audio_that_the_app_serves(
    database_url: str, tmp_path: Path, client: httpx.AsyncClient, services: Services
) -> None:
    env = helpdesk_env(database_url, services.settings.data_dir)
    args = [arg for key in ODIA_KEYS for arg in ("--key", key)]
    done = helpdesk_here(env, "voice", "render-prompts", "--lang", "or", *args)  # in this process: no start-up
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["rendered"] == len(ODIA_KEYS)
    for key in ODIA_KEYS:
        path = services.settings.voice_prompts_dir / "or" / f"{key}.wav"
        assert path.stat().st_size > 1000
        assert duration(path.read_bytes()) > 0.3 and sox_seconds(path) > 0.3
        served = await client.get(f"/voice/prompts/or/{key}.wav")
        assert served.status_code == 200 and served.headers["content-type"] == "audio/wav"
        assert served.content == path.read_bytes()


async def test_every_prompt_an_odia_call_plays_is_served_as_audio(phone: Phone, client: httpx.AsyncClient) -> None:
    await phone.ring()
    await phone.press("2")  # Odia
    urls = phone.played()[:3]  # "language set" (a text with a value: keyed by its hash), the role question and
    assert urls[0].startswith(f"{PUBLIC_URL}/voice/prompts/or/said.")  # its first option, rendered on first use
    assert urls[1:] == [f"{PUBLIC_URL}/voice/prompts/or/ask.role.wav",
                        f"{PUBLIC_URL}/voice/prompts/or/menu.role.cbo.1.wav"]
    for url in urls:
        served = await client.get(url.removeprefix(PUBLIC_URL))
        assert served.status_code == 200 and duration(served.content) > 0.3


async def test_unknown_prompts_are_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/voice/prompts/or/no.such.prompt.wav")).status_code == 404
    assert (await client.get("/voice/prompts/or/said.0123456789abcdef01234567.wav")).status_code == 404
    assert (await client.get("/voice/prompts/xx/welcome.wav")).status_code == 404
    assert (await client.get("/voice/prompts/or/..%2F..%2Fhelpdesk.db")).status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # refused before any database or audio
def test_render_prompts_names_an_unknown_key(database_url: str, tmp_path: Path) -> None:
    # in this process (tests.jsonchat.helpdesk_here): what the command says is checked, not its process
    done = helpdesk_here(helpdesk_env(database_url, tmp_path), "voice", "render-prompts", "--key", "nope")
    assert done.exit_code != 0 and "no voice prompt named nope" in done.stderr


def test_the_voice_catalogue_has_every_text_in_every_language() -> None:
    """Complete in every language; each text is the phone's wording of a flow text (the same key, no new
    placeholders) or one of the line's own frames, and none is unused."""
    voice, flow = Catalog.load(VOICE_MESSAGES_DIR), Catalog.load(MESSAGES_DIR)
    assert [str(p) for p in check_catalog(voice, voice.keys())] == []  # missing, extra, placeholders
    worded = set(filter(flow.has, voice.keys()))
    assert [key for key in worded if not voice.placeholders(key) <= flow.placeholders(key)] == []
    code = "".join(path.read_text() for path in (Path(bot.__file__).parent).glob("voice*.py"))
    own = set(re.findall(r'\bline\("([a-z_.]+)"', code)) | {f"digit.d{n}" for n in range(10)}
    assert own - voice.keys() == set()
    assert voice.keys() - own - worded == set()  # nothing unused
    assert {f"status.state.{status}" for status in STATUSES} <= worded
