"""`helpdesk kb ...`: maintainers' commands for the knowledge base."""

from __future__ import annotations

import typer

kb_app = typer.Typer(help="Knowledge base: lint, match, evaluate, benchmark, tune, gaps.", no_args_is_help=True)
