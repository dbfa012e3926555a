"""Everything the voice line says, as utterances with stable keys, and their audio files.

An utterance is one sentence in one language with a key that names its audio file
(`<prompts dir>/<lang>/<key>.wav`, served at `/voice/prompts/<lang>/<key>.wav`). Where the telephony
provider has no text-to-speech voice for a language (Odia), the call plays these files; `helpdesk voice
render-prompts` makes them with espeak-ng, and a real recording dropped in place of a file replaces it.
The texts come from bot/voice_messages (the spoken frames) and flows/messages (menu labels), and the
knowledge base (FAQ questions and answers read out).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess  # nosec B404: runs espeak-ng with a fixed argument list, text on stdin
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.i18n import LANGUAGES, Catalog
from core.modules import EXTRA_TOPICS, MENU_MODULES
from core.settings import Settings
from flows.questions import ROLES
from kb.loader import KnowledgeBase
from kb.schema import Entry
from tickets.priority import IMPACTS

log = logging.getLogger(__name__)

VOICE_MESSAGES_DIR = Path(__file__).resolve().parent / "voice_messages"
KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}$")
ESPEAK_VOICES = {"en": "en-gb", "or": "or", "hi": "hi"}
PAGE = 8  # options per page when a menu has more than 9: digit 9 is then "more options"
MORE_DIGIT = "9"


class KnowledgeSource(Protocol):
    """Where the current knowledge base is read from (the matcher, which swaps it on reload)."""

    @property
    def knowledge_base(self) -> KnowledgeBase: ...


@dataclass(frozen=True)
class Utterance:
    lang: str
    key: str
    text: str


@dataclass(frozen=True)
class Menu:
    """A keypad menu: its option codes in order, and how an option is named in a language."""

    name: str
    codes: tuple[str, ...]
    label: Callable[[str, str], str]  # (code, lang) -> label

    def digit_of(self, code: str) -> str:
        index = self.codes.index(code)
        return str(index % PAGE + 1 if self.paged else index + 1)

    @property
    def paged(self) -> bool:
        return len(self.codes) > 9

    def page(self, number: int) -> tuple[str, ...]:
        if not self.paged:
            return self.codes
        start = (number % self.pages) * PAGE
        return self.codes[start:start + PAGE]

    @property
    def pages(self) -> int:
        return -(-len(self.codes) // PAGE) if self.paged else 1

    def pick(self, digits: str, page: int) -> str | None:
        """The code a key press picks on a page, or None."""
        shown = self.page(page)
        if digits.isdigit() and 1 <= int(digits) <= len(shown):
            return shown[int(digits) - 1]
        return None


class VoicePrompts:
    def __init__(self, voice: Catalog, flow: Catalog, settings: Settings, knowledge: KnowledgeSource) -> None:
        self.voice, self.flow, self.settings, self.knowledge = voice, flow, settings, knowledge
        ulb_names = {u.code: u.name for u in settings.ulbs}
        self.menus = {
            "role": Menu("role", ROLES, lambda code, lang: flow.text(f"role.{code}", lang)),
            "ulb": Menu("ulb", tuple(ulb_names), lambda code, lang: ulb_names[code]),
            "module": Menu("module", MENU_MODULES, lambda code, lang: flow.text(f"module.{code}", lang)),
            "impact": Menu("impact", IMPACTS, lambda code, lang: flow.text(f"impact.{code}", lang)),
        }

    @classmethod
    def load(cls, flow_messages: Path, settings: Settings, knowledge: KnowledgeSource) -> VoicePrompts:
        return cls(Catalog.load(VOICE_MESSAGES_DIR), Catalog.load(flow_messages), settings, knowledge)

    def line(self, key: str, lang: str, **params: object) -> Utterance:
        """A sentence of the voice catalogue; its key is the catalogue key."""
        return Utterance(lang, key, self.voice.text(key, lang, **params))

    def languages(self) -> list[Utterance]:
        """The language menu: each choice spoken in its own language."""
        return [self.line("pick_language", lang, digit=n) for n, lang in enumerate(LANGUAGES, start=1)]

    def menu(self, name: str, lang: str, page: int = 0) -> list[Utterance]:
        menu = self.menus[name]
        spoken = [self.option(menu, code, lang) for code in menu.page(page)]
        return spoken + ([self.line("more", lang)] if menu.paged else [])

    def option(self, menu: Menu, code: str, lang: str) -> Utterance:
        said = self.line("option", lang, label=menu.label(code, lang), digit=menu.digit_of(code))
        return Utterance(lang, f"menu.{menu.name}.{code}", said.text)

    def digits(self, number: str, lang: str) -> list[Utterance]:
        return [self.line(f"digit.d{d}", lang) for d in number if d.isdigit()]

    def entry(self, entry_id: str) -> Entry | None:
        return self.knowledge.knowledge_base.get(entry_id)

    def faq(self, entry: Entry, part: str, lang: str) -> Utterance:
        """An entry's question or answer; in English when the entry has no translation for `lang`."""
        spoken = lang if lang == "en" or lang in entry.translations else "en"
        question, answer = entry.texts(spoken)
        return Utterance(spoken, f"kb.{entry.id}.{part}", question if part == "question" else answer)

    def module_entries(self, module: str, audience: str | None) -> list[Entry]:
        """The knowledge base's entries about a module (the menu's "other" takes the extra topics)."""
        wanted = {module} | (set(EXTRA_TOPICS) if module == "other" else set())
        return [e for e in self.knowledge.knowledge_base.entries
                if e.module in wanted and (audience is None or e.audience in ("all", audience))]

    def every(self, lang: str) -> Iterator[Utterance]:
        """Every utterance the line can say in `lang` (what render-prompts renders)."""
        for key in sorted(self.voice.keys()):
            if key not in ("option",):
                yield self.line(key, lang, digit=LANGUAGES.index(lang) + 1)
        for menu in self.menus.values():
            for code in menu.codes:
                yield self.option(menu, code, lang)
        for entry in self.knowledge.knowledge_base.entries:
            for part in ("question", "answer"):
                said = self.faq(entry, part, lang)
                if said.lang == lang:
                    yield said

    def find(self, lang: str, key: str) -> Utterance | None:
        if lang not in LANGUAGES or not KEY.match(key):
            return None
        return next((u for u in self.every(lang) if u.key == key), None)


class PromptAudio:
    """The audio files of utterances, under one folder per language."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, lang: str, key: str) -> Path:
        if lang not in LANGUAGES or not KEY.match(key):
            raise ValueError(f"not a prompt: {lang}/{key}")
        return self.root / lang / f"{key}.wav"

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
