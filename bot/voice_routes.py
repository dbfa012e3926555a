"""The voice line's webhooks: TwiML answers to a Twilio-compatible provider, and the prompts' audio files.

The provider posts form fields (CallSid, From, Digits, RecordingUrl, RecordingDuration) signed with the
account's auth token in X-Twilio-Signature, computed over the URL it called; the URL is rebuilt from
HELPDESK_VOICE_PUBLIC_URL, since behind a proxy the request's own URL is not the one the provider saw.
"""

# No `from __future__ import annotations` here: the routes are closures, and FastAPI must see their
# annotations as objects.
import asyncio
import logging
import subprocess  # nosec B404: only its exception types
from typing import Annotated, Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.voice import Recording, Turn, VoiceLine
from bot.voice_prompts import PromptAudio, Utterance, VoicePrompts
from core.errors import InvalidInput
from core.settings import Settings
from tickets.attachments import AttachmentStore, kind_of

log = logging.getLogger(__name__)
TWIML = "application/xml"
MAX_REDIRECTS = 3


class RecordingRefused(Exception):
    """A recording URL outside the configured provider hosts, or a failed download."""


def _speak(node: VoiceResponse | Gather, said: list[Utterance], base: str, settings: Settings,
           audio: PromptAudio) -> None:
    for utterance in said:
        if utterance.lang in settings.voice_say_languages:
            node.say(utterance.text, language=settings.voice_say_languages[utterance.lang])
        else:
            audio.keep_text(utterance)
            node.play(f"{base}/voice/prompts/{utterance.lang}/{quote(utterance.key)}.wav")


def twiml(turn: Turn, base: str, settings: Settings, audio: PromptAudio) -> str:
    """The TwiML for a turn: a <Gather> for a key (falling through to a no-input step), a <Record>, or <Hangup>."""
    response = VoiceResponse()
    step = f"{base}/voice/step"
    if turn.expect == "key":
        options: dict[str, Any] = {"num_digits": 1}
        gather = Gather(input="dtmf", action=step, method="POST", timeout=settings.voice_gather_seconds, **options)
        _speak(gather, turn.said, base, settings, audio)
        response.append(gather)
        response.redirect(step, method="POST")
    elif turn.expect == "record":
        _speak(response, turn.said, base, settings, audio)
        response.record(action=f"{base}/voice/recorded", method="POST", max_length=settings.voice_max_record_seconds,
                        finish_on_key="#", play_beep=True)
        response.redirect(step, method="POST")
    else:
        _speak(response, turn.said, base, settings, audio)
        response.hangup()
    return str(response)


async def fetch_recording(url: str, settings: Settings, store: AttachmentStore) -> dict[str, str]:
    """Download a recording into the attachment store, only ever from the configured provider hosts."""
    auth = (settings.voice_account_sid, settings.voice_auth_token or "") if settings.voice_account_sid else None
    async with httpx.AsyncClient(timeout=30, auth=auth) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname not in settings.voice_recording_hosts:
                raise RecordingRefused(f"{url} is not on a host in HELPDESK_VOICE_RECORDING_HOSTS")
            async with client.stream("GET", url) as answer:
                if answer.is_redirect:
                    url = urljoin(url, answer.headers.get("location", ""))
                    continue
                if answer.status_code != 200:
                    raise RecordingRefused(f"{url} answered {answer.status_code}")
                mime = answer.headers.get("content-type", "audio/wav").split(";")[0].strip()
                stored = await store.save_stream(answer.aiter_bytes(), mime=mime)
                return stored.as_attachment(kind_of(mime), name="voice-message")
    raise RecordingRefused(f"{url}: more than {MAX_REDIRECTS} redirects")


def voice_router(
    line: VoiceLine, prompts: VoicePrompts, audio: PromptAudio, attachments: AttachmentStore, settings: Settings,
) -> APIRouter:
    if not (settings.voice_auth_token and settings.voice_public_url):
        raise ValueError("the voice line needs HELPDESK_VOICE_AUTH_TOKEN and HELPDESK_VOICE_PUBLIC_URL")
    base = settings.voice_public_url.rstrip("/")
    validator = RequestValidator(settings.voice_auth_token)
    router = APIRouter(prefix="/voice", tags=["voice"])

    async def signed_form(request: Request) -> dict[str, str]:
        """The posted form, if X-Twilio-Signature matches it; 403 otherwise."""
        form = {name: value for name, value in (await request.form()).multi_items() if isinstance(value, str)}
        url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            raise HTTPException(403, f"X-Twilio-Signature does not match a request to {url} "
                                     "(check HELPDESK_VOICE_AUTH_TOKEN and HELPDESK_VOICE_PUBLIC_URL)")
        for name in ("CallSid", "From"):
            if not form.get(name):
                raise HTTPException(422, f"form field {name} is required")
        _check_recording_fields(form)
        return form

    Form = Annotated[dict[str, str], Depends(signed_form)]

    def answer(turn: Turn) -> Response:
        return Response(twiml(turn, base, settings, audio), media_type=TWIML)

    @router.post("/incoming")
    async def incoming(form: Form) -> Response:
        """A call rings: the provider's voice webhook for the number."""
        return answer(await line.ring(form["CallSid"], form["From"]))

    @router.post("/step")
    async def step(form: Form) -> Response:
        """Keys pressed in answer to a question (none: the caller was silent)."""
        return answer(await line.step(form["CallSid"], form["From"], form.get("Digits", "")))

    @router.post("/recorded")
    async def recorded(form: Form) -> Response:
        """The caller's recorded message: fetched from the provider and filed with a ticket."""
        url, seconds = form.get("RecordingUrl", ""), int(form.get("RecordingDuration") or 0)
        attachment = None
        if url:
            try:
                attachment = await fetch_recording(url, settings, attachments)
            except (RecordingRefused, InvalidInput, httpx.HTTPError) as err:  # InvalidInput: over the size cap
                log.warning("call %s: recording not fetched: %s", form["CallSid"], err)
        return answer(await line.recorded(form["CallSid"], form["From"], Recording(attachment, seconds, url)))

    @router.get("/prompts/{lang}/{name}")
    async def prompt(lang: str, name: str) -> FileResponse:
        """A prompt's audio (rendered on first use when `helpdesk voice render-prompts` has not made it)."""
        key = name.removesuffix(".wav")
        said = (prompts.find(lang, key) or audio.kept_text(lang, key)) if name.endswith(".wav") else None
        if said is None:
            raise HTTPException(404, f"no voice prompt {lang}/{name}")
        try:
            path = await asyncio.to_thread(audio.render, said, overwrite=False)
        except (OSError, subprocess.SubprocessError) as err:
            log.error("voice prompt %s/%s could not be rendered: %s", lang, key, err)
            raise HTTPException(503, f"voice prompt {lang}/{name} is not rendered yet and espeak-ng failed: "
                                     "run `helpdesk voice render-prompts`") from err
        return FileResponse(path, media_type="audio/wav")

    return router


def _check_recording_fields(form: dict[str, str]) -> None:
    """A recording's length is a whole number of seconds and its URL a plain http(s) address."""
    duration = form.get("RecordingDuration", "")
    if duration and not (duration.isascii() and duration.isdigit() and len(duration) <= 6):
        raise HTTPException(422, f"form field RecordingDuration: expected whole seconds, not {duration[:20]!r}")
    url = form.get("RecordingUrl", "")
    if url and (not url.startswith(("https://", "http://")) or any(c.isspace() or ord(c) < 32 for c in url)):
        raise HTTPException(422, "form field RecordingUrl: expected an http(s) address without spaces or control "
                                 "characters")
