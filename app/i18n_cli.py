"""`helpdesk i18n check`: the message catalogues against each other and against the code that uses them.

The keys the code uses are read from the source: literal keys passed to `t`/`say`/`text`, dotted keys
anywhere (`"priority.reason.enhancement"`), and key templates built with f-strings (`f"module.{code}"`),
each expanded from the code's own constants. A template with no expansion here is itself a problem, so a
new dynamic key cannot slip past the check.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

import flows
from bot.telegram import COMMANDS as TELEGRAM_COMMANDS
from core.i18n import LANGUAGES, Catalog, CatalogProblem, check_catalog
from core.modules import MENU_MODULES
from core.settings import DEFAULT_TEAMS, DEFAULT_ULBS, Settings
from flows.questions import EDIT_PARTS, RATINGS, ROLES
from tickets.lifecycle import STATUSES
from tickets.priority import CATEGORIES, IMPACTS, derive_priority
from tickets.routing import response_target

ROOT = Path(flows.__file__).resolve().parent.parent
MESSAGES_DIR = ROOT / "flows" / "messages"
SCANNED = ("app", "api", "bot", "core", "flows", "tickets", "web")
KEY_CALLS = {"t": 0, "say": 0, "text": 0, "_option": 2}  # function name -> position of the key argument
KEYED_CALLS = {"_keyed"}  # _keyed("role", ROLES): the keys "role.<code>"

i18n_app = typer.Typer(help="Message catalogues: every text in English, Odia and Hindi.", no_args_is_help=True)


def _target_units() -> set[str]:
    settings = Settings()
    units = set()
    for hours in (1, 9, 18):
        _, unit = response_target("P1", settings.model_copy(update={"response_hours": {"P1": hours}}))
        units.add(unit)
    return units | {"business_day"}  # one day reads differently from n days


def families() -> dict[str, set[str]]:
    """Every f-string key template the code may build, with the keys it can produce."""
    reasons = {derive_priority(c, i, w).reason for c in CATEGORIES for i in IMPACTS for w in (False, True)}
    return {
        "module.{}": {f"module.{code}" for code in MENU_MODULES},
        "role.{}": {f"role.{code}" for code in ROLES},
        "category.{}": {f"category.{code}" for code in CATEGORIES},
        "impact.{}": {f"impact.{code}" for code in IMPACTS},
        "answer.{}": {"answer.yes", "answer.no"},
        "language.{}": {f"language.{code}" for code in LANGUAGES},
        "language.name.{}": {f"language.name.{code}" for code in LANGUAGES},
        "status.state.{}": {f"status.state.{code}" for code in STATUSES},
        "target.{}": {f"target.{unit}" for unit in _target_units()},
        "priority.reason.{}.{}": reasons,
        "feedback.rating.r{}": {f"feedback.rating.r{n}" for n in RATINGS},
        "confirm.edit_{}": {f"confirm.edit_{part}" for part in EDIT_PARTS},
        "date.month.m{}": {f"date.month.m{n}" for n in range(1, 13)},
        "telegram.command.{}": {f"telegram.command.{c}" for c in TELEGRAM_COMMANDS},
        "team.{}": {f"team.{team.code}" for team in DEFAULT_TEAMS},  # configured teams beyond these: as named
        "ulb.{}": {f"ulb.{ulb.code.replace('.', '_')}" for ulb in DEFAULT_ULBS},
    }


def _template(node: ast.JoinedStr) -> str:
    parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
    return "".join(str(p) for p in parts)


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _key_strings(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> Iterator[ast.expr]:
    """The expressions a key argument may evaluate to: both sides of `a if c else b`, a local's values."""
    if isinstance(node, ast.IfExp):
        yield from _key_strings(node.body, assigned)
        yield from _key_strings(node.orelse, assigned)
    elif isinstance(node, ast.Name):
        for value in assigned.get(node.id, []):
            yield from _key_strings(value, {})
    else:
        yield node


class _Scan(ast.NodeVisitor):
    def __init__(self, keys: set[str], known: dict[str, set[str]]) -> None:
        self.keys, self.known = keys, known
        self.asked: set[str] = set()  # literal keys passed to a lookup: must exist
        self.unknown: set[str] = set()  # f-string templates passed to a lookup with no expansion
        self.assigned: dict[str, list[ast.expr]] = {}

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.assigned.setdefault(target.id, []).append(node.value)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "." in node.value and node.value in self.keys:
            self.asked.add(node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.asked |= self.known.get(_template(node), set())
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _called(node)
        position = KEY_CALLS.get(name)
        if position is not None and len(node.args) > position:
            for value in _key_strings(node.args[position], self.assigned):
                self._lookup(value)
        prefix = node.args[0] if node.args else None
        if name in KEYED_CALLS and isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
            self.asked |= self.known.get(f"{prefix.value}.{{}}", set())
        self.generic_visit(node)

    def _lookup(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " not in node.value:
            self.asked.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            template = _template(node)
            # a template that starts with a passed-in prefix (as in `_keyed`) is expanded at that call
            if template not in self.known and not template.startswith("{}"):
                self.unknown.add(template)


def used_keys(catalog: Catalog, root: Path = ROOT) -> tuple[set[str], set[str]]:
    """(keys the code uses, key templates it builds that have no expansion)."""
    known = families()
    used: set[str] = set()
    unknown: set[str] = set()
    for package in SCANNED:
        for path in sorted((root / package).rglob("*.py")):
            scan = _Scan(catalog.keys(), known)
            scan.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
            used |= scan.asked
            unknown |= {f"{path.relative_to(root)}: f\"{t}\"" for t in scan.unknown}
    return used, unknown


def catalog_problems(directory: Path = MESSAGES_DIR, root: Path = ROOT) -> list[CatalogProblem]:
    """Everything `helpdesk i18n check` reports."""
    catalog = Catalog.load(directory)
    used, unknown = used_keys(catalog, root)
    problems = check_catalog(catalog, used)
    problems += [CatalogProblem("dynamic", "en", where, "no expansion in app/i18n_cli.families()")
                 for where in sorted(unknown)]
    return problems


@i18n_app.command("check")
def check(
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Report missing keys, placeholders unlike English, and keys no code uses; fail when there are any."""
    problems = catalog_problems()
    if fmt == "json":
        typer.echo(json.dumps([p.__dict__ for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{len(problems)} problem(s) in {', '.join(f'{lang}.yaml' for lang in LANGUAGES)}")
    if problems:
        raise typer.Exit(1)
