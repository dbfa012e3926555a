"""`helpdesk voice ...`: the voice line's prompts as audio files."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import typer

from app.wiring import MESSAGES_DIR
from bot.voice_prompts import PromptAudio, Utterance, VoicePrompts
from core.i18n import LANGUAGES
from core.settings import Settings

voice_app = typer.Typer(help="Voice line (IVR): prompts rendered to audio.", no_args_is_help=True)


@voice_app.command("render-prompts")
def render_prompts(
    ctx: typer.Context,
    lang: Annotated[list[str] | None, typer.Option("--lang", help="only these languages (en, or, hi)")] = None,
    key: Annotated[list[str] | None, typer.Option("--key", help="only these prompt keys, e.g. greeting")] = None,
    missing_only: Annotated[bool, typer.Option("--missing-only", help="keep files already there")] = False,
) -> None:
    """Render every voice prompt of every language to WAV with espeak-ng, into the data folder.

    A file can be replaced by a real recording of the same name; --missing-only then keeps it.
    """
    settings: Settings = ctx.obj
    for code in lang or []:
        if code not in LANGUAGES:
            choices = ", ".join(LANGUAGES)
            raise typer.BadParameter(f"unknown language {code!r}; use one of {choices}", param_hint="--lang")
    prompts = VoicePrompts.load(MESSAGES_DIR)
    wanted: list[Utterance] = [u for code in (lang or LANGUAGES) for u in prompts.every(code)
                               if not key or u.key in key]
    unknown = sorted(set(key or []) - {u.key for u in wanted})
    if unknown:
        raise typer.BadParameter(f"no voice prompt named {', '.join(unknown)}", param_hint="--key")
    audio = PromptAudio(settings.voice_prompts_dir)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda u: audio.render(u, overwrite=not missing_only), wanted))
    typer.echo(json.dumps({"rendered": len(wanted), "dir": str(audio.root)}))
