"""Everything the voice line says, as utterances with stable keys, and their audio files.

The conversation itself speaks through the flow's catalogue overlaid with bot/voice_messages (`wording`):
where the chat's words do not fit a phone (nothing to type or tap), the voice catalogue has the phone's own
text under the same key. The voice catalogue also holds the line's own frames: the keypad options, the main
menu, the ticket number read back, the goodbyes.

An utterance is one sentence in one language with a key that names its audio file
(`<prompts dir>/<lang>/<key>.wav`, served at `/voice/prompts/<lang>/<key>.wav`). Where the telephony
provider has no text-to-speech voice for a language (Odia), the call plays these files. A text that is the
same on every call (a catalogue text without placeholders, a keypad option of a fixed menu) is keyed by its
catalogue key, so `helpdesk voice render-prompts` can make it ahead with espeak-ng and a real recording
dropped in place of its file replaces it; any other text (a summary, a knowledge-base answer) is keyed by
its hash and rendered on first use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess  # nosec B404: runs espeak-ng with a fixed argument list, text on stdin
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.i18n import LANGUAGES, Catalog
from core.modules import MENU_MODULES
from flows.questions import ROLES
from tickets.priority import CATEGORIES, IMPACTS

log = logging.getLogger(__name__)

VOICE_MESSAGES_DIR = Path(__file__).resolve().parent / "voice_messages"
KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}$")
ESPEAK_VOICES = {"en": "en-gb", "or": "or", "hi": "hi"}
PAGE = 8  # options per page when a menu has more than 9: digit 9 is then "more options"
MORE_DIGIT = "9"
SAID = "said."  # the key prefix of a text keyed by its hash
# The menus whose options are the same on every call (label keys in the flow's catalogue), for render-prompts.
FIXED_MENUS: dict[str, tuple[str, ...]] = {
    "role": ROLES, "module": MENU_MODULES, "category": CATEGORIES, "impact": IMPACTS, "answer": ("yes", "no"),
}


def wording(flow: Catalog) -> Catalog:
    """The flow's catalogue as the phone speaks it (the engine's wording for the voice channel)."""
    return flow.overlaid(Catalog.load(VOICE_MESSAGES_DIR))


@dataclass(frozen=True)
class Utterance:
    lang: str
    key: str
    text: str


def digit_of(index: int, count: int) -> str:
    """The key that picks the option at `index` (from 0) of a menu of `count`: 8 a page when over 9."""
    return str(index % PAGE + 1 if count > 9 else index + 1)


def pages(count: int) -> int:
    return -(-count // PAGE) if count > 9 else 1


def page_of(count: int, page: int) -> range:
    """The indexes of the options a page offers."""
    if count <= 9:
        return range(count)
    start = (page % pages(count)) * PAGE
    return range(start, min(start + PAGE, count))


class VoicePrompts:
    def __init__(self, voice: Catalog, worded: Catalog) -> None:
        self.voice, self.worded = voice, worded
        self._static = {lang: self._static_texts(lang) for lang in LANGUAGES}

    @classmethod
    def load(cls, flow_messages: Path) -> VoicePrompts:
        return cls(Catalog.load(VOICE_MESSAGES_DIR), wording(Catalog.load(flow_messages)))

    def _static_texts(self, lang: str) -> dict[str, str]:
        """Text -> key of every catalogue text without placeholders in `lang` (the first key, for a text that
        several keys share)."""
        found: dict[str, str] = {}
        for key in sorted(self.worded.keys()):
            if not self.worded.placeholders(key, lang if key in self.worded.keys_of(lang) else "en"):
                found.setdefault(self.worded.text(key, lang), key)
        return found

    def line(self, key: str, lang: str, **params: object) -> Utterance:
        """A sentence of the voice catalogue; its key is the catalogue key."""
        return Utterance(lang, key, self.voice.text(key, lang, **params))

    def say(self, text: str, lang: str) -> Utterance:
        """Words of the conversation: keyed by their catalogue key when they are a fixed text, else by hash."""
        key = self._static[lang].get(text) if lang in self._static else None
        return Utterance(lang, key or hashed(text), text)

    def languages(self) -> list[Utterance]:
        """The language menu: each choice spoken in its own language."""
        return [self.line("pick_language", lang, digit=n) for n, lang in enumerate(LANGUAGES, start=1)]

    def option(self, label: str, digit: str, lang: str) -> Utterance:
        """One keypad option; keyed by its label's catalogue key and its digit when the label is a fixed text."""
        said = self.line("option", lang, label=label, digit=digit)
        label_key = self._static[lang].get(label) if lang in self._static else None
        return Utterance(lang, f"menu.{label_key}.{digit}" if label_key else hashed(said.text), said.text)

    def digits(self, number: str, lang: str) -> list[Utterance]:
        return [self.line(f"digit.d{d}", lang) for d in number if d.isdigit()]

    def every(self, lang: str) -> Iterator[Utterance]:
        """Every fixed utterance of the line in `lang` (what render-prompts renders)."""
        for key in sorted(self.voice.keys()):
            if key != "option" and not self.voice.placeholders(key):
                yield self.line(key, lang)
        yield self.line("pick_language", lang, digit=LANGUAGES.index(lang) + 1)
        for text, key in sorted(self._static[lang].items(), key=lambda item: item[1]):
            if not self.voice.has(key):
                yield Utterance(lang, key, text)
        for prefix, codes in FIXED_MENUS.items():
            for index, code in enumerate(codes):
                yield self.option(self.worded.text(f"{prefix}.{code}", lang), digit_of(index, len(codes)), lang)

    def find(self, lang: str, key: str) -> Utterance | None:
        if lang not in LANGUAGES or not KEY.match(key) or key.startswith(SAID):
            return None
        return next((u for u in self.every(lang) if u.key == key), None)


def hashed(text: str) -> str:
    return SAID + hashlib.sha256(text.encode()).hexdigest()[:24]


class PromptAudio:
    """The audio files of utterances, under one folder per language."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, lang: str, key: str, suffix: str = ".wav") -> Path:
        if lang not in LANGUAGES or not KEY.match(key):
            raise ValueError(f"not a prompt: {lang}/{key}")
        return self.root / lang / f"{key}{suffix}"

    def keep_text(self, said: Utterance) -> None:
        """Keep the text of an utterance keyed by its hash, for its audio to be rendered when it is fetched."""
        if said.key.startswith(SAID):
            path = self.path(said.lang, said.key, ".txt")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(said.text, encoding="utf-8")

    def kept_text(self, lang: str, key: str) -> Utterance | None:
        """An utterance keyed by its hash whose text a call kept, or None."""
        if lang not in LANGUAGES or not KEY.match(key) or not key.startswith(SAID):
            return None
        path = self.path(lang, key, ".txt")
        return Utterance(lang, key, path.read_text(encoding="utf-8")) if path.exists() else None

    def render(self, said: Utterance, *, overwrite: bool = True) -> Path:
        """Speak `said` into its WAV file with espeak-ng (written aside, then renamed into place)."""
        target = self.path(said.lang, said.key)
        if target.exists() and not overwrite:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".rendering-", suffix=".wav")
        os.close(fd)
        try:
            subprocess.run(  # noqa: S603  # nosec B603: fixed program, text on stdin
                ["espeak-ng", "-v", ESPEAK_VOICES[said.lang], "-w", tmp, "--stdin"],  # noqa: S607
                input=said.text.encode(), check=True, capture_output=True, timeout=60,
            )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
