"""`helpdesk kb gaps`: the problems that keep turning into tickets, grouped, so maintainers know what FAQ
to write next."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from core.settings import Settings


async def _descriptions(settings: Settings, limit: int) -> list[str]:
    # the database only here: `kb gaps` registers beside `kb match`, which must start without it
    from app.wiring import open_database
    from tickets.store import SqlTicketStore

    db, sessions = open_database(settings)
    try:
        async with sessions() as session:
            return await SqlTicketStore(session, settings.ticket_prefix).descriptions(limit)
    finally:
        await db.dispose()


def gaps(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Newest filed tickets to read.")] = 2000,
    top: Annotated[int, typer.Option(min=1, help="Groups to show.")] = 15,
    similarity: Annotated[float, typer.Option(min=0.05, max=1.0, help="How alike texts in a group are.")] = 0.25,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Group the descriptions of filed tickets (the FAQ did not deflect them), largest group first."""
    from rich.console import Console  # loaded here: `kb gaps` registers beside `kb match`, which starts quickly

    from kb.gaps import cluster_texts
    from kb.loader import load_knowledge_base

    settings: Settings = ctx.obj
    texts = asyncio.run(_descriptions(settings, limit))
    synonyms = load_knowledge_base(settings.kb_dir).synonyms
    clusters = [c for c in cluster_texts(texts, similarity=similarity, synonyms=synonyms)][:top]
    if format == "json":
        rows = [{"size": c.size, "keywords": list(c.keywords), "examples": list(c.examples)} for c in clusters]
        typer.echo(json.dumps({"tickets": len(texts), "groups": rows}, ensure_ascii=False, indent=2))
        return
    console = Console()
    if not texts:
        console.print("No filed tickets yet: nothing to group.")
        return
    console.print(f"{len(texts)} filed tickets; the largest groups of similar problems:")
    for n, cluster in enumerate(clusters, start=1):
        words = ", ".join(cluster.keywords) or "-"
        console.print(f"\n{n}. {cluster.size} tickets  (shared words: {words})", highlight=False, markup=False)
        for example in cluster.examples:
            console.print(f"   - {example}", highlight=False, markup=False)
