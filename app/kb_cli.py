"""`helpdesk kb ...`: maintainers' commands for the knowledge base."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.gaps_cli import gaps
from core.errors import InvalidContent
from core.settings import Settings
from kb.encoded import CACHE_FOLDER
from kb.encoders import ROUTES, Encoders, load_encoders
from kb.loader import KnowledgeBase, load_knowledge_base
from kb.matcher import ROUTE_NAMES, LexicalMatcher
from kb.normalize import script_of
from kb.semantic import DEFAULT_FILE, StaticVectors

if TYPE_CHECKING:  # the evaluation, benchmark and table code loads with the commands that use it (a quick match)
    from kb.benchfile import BenchFile
    from kb.evaluate import Case, Metrics, Outcome, Policy

kb_app = typer.Typer(help="Knowledge base: lint, match, evaluate, benchmark, tune, gaps.", no_args_is_help=True)
kb_app.command("gaps")(gaps)

Format = Annotated[str, typer.Option("--format", help="text or json")]
Dir = Annotated[Path | None, typer.Option("--dir", help="content folder (default: settings, then kb/content)")]
Vectors = Annotated[
    Path | None,
    typer.Option("--vectors", help=f"static vector table (default: {DEFAULT_FILE} in the data folder, if built)"),
]
Lexical = Annotated[bool, typer.Option("--lexical-only", help="no sentence encoder and no vector table")]
Loo = Annotated[
    bool, typer.Option("--leave-one-out", help="also match each KB phrasing against the entries without it")
]


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings()


def _load(ctx: typer.Context, directory: Path | None) -> KnowledgeBase:
    try:
        return load_knowledge_base(directory or _settings(ctx).kb_dir)
    except InvalidContent as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        typer.echo("the knowledge base has errors; run `helpdesk kb lint`", err=True)
        raise typer.Exit(2) from err


def _vectors(ctx: typer.Context, path: Path | None, lexical_only: bool) -> StaticVectors | None:
    """The table given, else the default one when it has been built; none with --lexical-only."""
    if lexical_only:
        return None
    if path is None:
        default = _settings(ctx).data_dir / DEFAULT_FILE
        path = default if default.exists() else None
    if path is not None and not path.exists():
        typer.echo(f"no vector table at {path}; run `helpdesk kb build-vectors`", err=True)
        raise typer.Exit(2)
    return StaticVectors.load(path) if path is not None else None


def _encoders(ctx: typer.Context, lexical_only: bool, query: str | None = None) -> Encoders:
    """The sentence encoders that load (none with --lexical-only or HELPDESK_SEMANTIC=false). For one `query`,
    only the encoder its script is routed to (a Latin query is never scored by e5, nor an Odia one by
    MiniLM: loading the other was most of a `kb match`); every one if that one does not load, as without."""
    settings = _settings(ctx)
    if lexical_only or not settings.semantic:
        return Encoders({})
    cache = settings.data_dir / CACHE_FOLDER
    route = ROUTES.get(script_of(query)) if query is not None else None
    if route is not None:
        mine = load_encoders(settings.encoder_threads, (route,), cache=cache)
        if mine.by_script:
            return mine
    return load_encoders(settings.encoder_threads, cache=cache)


def _matcher(
    ctx: typer.Context, directory: Path | None, vectors: StaticVectors | None = None, lexical_only: bool = True,
    query: str | None = None,
) -> LexicalMatcher:
    """The matcher the bot would use (for `query` alone: see _encoders); the entry vectors are encoded (or read
    from the cache) before it returns."""
    scripts = None if query is None else (script_of(query),)
    return _build(ctx, _load(ctx, directory), vectors, _encoders(ctx, lexical_only, query), scripts=scripts)


def _build(
    ctx: typer.Context, kb: KnowledgeBase, vectors: StaticVectors | None, encoders: Encoders, cache: bool = True,
    scripts: tuple[str, ...] | None = None,
) -> LexicalMatcher:
    settings = _settings(ctx)
    return LexicalMatcher(
        kb,
        settings.faq_threshold,
        vectors=None if encoders.by_script else vectors,
        encoders=encoders,
        cache=settings.data_dir / CACHE_FOLDER if cache else None,
        scripts=scripts,
    )


@kb_app.command("lint")
def lint_command(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Argument(help="content folder")] = None,
    synonyms: Annotated[Path | None, typer.Option(help="synonyms file (default: beside the folder)")] = None,
    max_age: Annotated[int, typer.Option(help="warn when `reviewed` is older (days)")] = 365,
    strict: Annotated[bool, typer.Option(help="fail on warnings too")] = False,
    fmt: Format = "text",
) -> None:
    """Report every problem in the content files with file, line and field; fail on errors."""
    from kb.lint import LintOptions, lint

    problems = lint(directory or _settings(ctx).kb_dir, synonyms, LintOptions(max_age_days=max_age))
    errors = sum(p.severity == "error" for p in problems)
    if fmt == "json":
        typer.echo(json.dumps([p.__dict__ for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{errors} error(s), {len(problems) - errors} warning(s)")
    if errors or (strict and problems):
        raise typer.Exit(1)


@kb_app.command("match")
def match_command(
    ctx: typer.Context,
    text: str,
    lang: Annotated[str | None, typer.Option(help="en, or or hi")] = None,
    audience: Annotated[str | None, typer.Option(help="employee or cbo")] = None,
    limit: int = 3,
    directory: Dir = None,
    vectors: Vectors = None,
    lexical_only: Lexical = False,
    fmt: Format = "text",
) -> None:
    """Show the entries the bot would offer for TEXT, with scores, whether it abstains, and why."""
    matcher = _matcher(ctx, directory, _vectors(ctx, vectors, lexical_only), lexical_only, query=text)
    result = matcher.propose(text, lang=lang, limit=limit, audience=audience)
    hits = [{"id": h.entry_id, "question": h.question, "answer": h.answer, "score": h.score} for h in result.hits]
    reasons = result.reasons.__dict__ if result.reasons else {}
    if fmt == "json":
        shown = {"abstain": result.abstain, "hits": hits, "reasons": reasons, "semantic": matcher.semantic_scripts()}
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    typer.echo("abstain: no answer is good enough" if result.abstain else "answer")
    for rank, hit in enumerate(result.hits, 1):
        typer.echo(f"{rank}. [{hit.score:.3f}] {hit.entry_id}: {hit.question}")
    if result.reasons:
        typer.echo("why: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))


@kb_app.command("eval")
def eval_command(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(metavar="FILE", help="a cases file, a folder of them or a glob")],
    directory: Dir = None,
    vectors: Vectors = None,
    lexical_only: Lexical = False,
    loo: Loo = False,
    sample: Annotated[int, typer.Option(help="with --leave-one-out, every Nth phrasing only")] = 1,
    fmt: Format = "text",
) -> None:
    """Score the matcher on maintainers' regression cases, per script: top-1, top-3, accuracy, OOS recall,
    latency, and every miss; with --leave-one-out, also each KB phrasing against the entries without it."""
    from kb.evaluate import by_script, run_cases
    from kb.loo import leave_one_out, remembering

    cases = _cases(spec)
    encoders = _encoders(ctx, lexical_only)
    kb = _load(ctx, directory)
    table = _vectors(ctx, vectors, lexical_only)
    matcher = _build(ctx, kb, table, encoders)
    thresholds = {script: matcher.threshold_for(script) for script in ROUTE_NAMES}
    with _progress(len(cases), "matching the cases") as advance:
        outcomes = run_cases(matcher, cases, advance)
    figures = by_script(outcomes, thresholds, len(kb.entries))
    misses = [_miss(o) for o in outcomes if not o.is_right(thresholds[o.script])]
    scripts = {k: v.as_dict() for k, v in figures.items() if k != "all"}
    out: dict[str, object] = figures["all"].as_dict() | {"scripts": scripts, "misses": misses}
    if loo:
        remembered = remembering(encoders)
        with _progress(_phrasings(kb) // max(sample, 1), "leave-one-phrasing-out") as advance:
            make = lambda smaller: _build(ctx, smaller, table, remembered, cache=False)  # noqa: E731
            held = leave_one_out(kb, make, advance, every=sample)
        out["leave_one_out"] = {k: v.as_dict() for k, v in by_script(held, thresholds, len(kb.entries)).items()}
    if fmt == "json":
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _print_table("cases", figures)
    if loo:
        _print_table("leave-one-phrasing-out", by_script(held, thresholds, len(kb.entries)))
    for miss in misses:
        typer.echo(f"MISS {miss['text']!r}: expected {miss['expected']}, got {miss['got']} ({miss['score']})")


@kb_app.command("bench")
def bench_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE.json")],
    vectors: Vectors = None,
    lexical_only: Lexical = False,
    fmt: Format = "text",
) -> None:
    """Run a shared benchmark file: thresholds from its validation rows, figures (per script) over its queries."""
    from kb.benchfile import load_bench, run_bench
    from kb.routechoice import RouteChoice, choice_cases

    bench = load_bench(path)
    table = _vectors(ctx, vectors, lexical_only)
    encoders = _encoders(ctx, lexical_only)
    total = len(bench.validation) + len(bench.queries)
    if "latin" in encoders.by_script:
        total += choice_cases(bench.knowledge_base(), bench.validation)
    policies: dict[str, Policy] = {}
    routes: list[RouteChoice] = []
    with _progress(total, f"matching {bench.name}") as advance:
        figures = run_bench(bench, advance, table, encoders, policies, chosen_route=routes)
    route = None
    if routes:
        top1 = {f"hub {h} best {b}": round(v, 4) for (h, b), v in routes[0].top1.items()}
        route = {"hub": routes[0].route.hub, "best_share": routes[0].route.best_share,
                 "validation_cases": routes[0].cases, "top1": top1}  # fmt: skip
    if fmt == "json":
        scripts = {k: v.as_dict() for k, v in figures.items() if k != "all"}
        chosen = {k: v.__dict__ for k, v in policies.items()}
        shown = figures["all"].as_dict() | {"scripts": scripts, "chosen_on_validation": chosen, "latin_route": route}
        typer.echo(json.dumps(shown, indent=2))
    else:
        _print_table(bench.name, figures)
        if route is not None:
            typer.echo(f"latin route: chosen on validation ({route['validation_cases']} cases): hub {route['hub']}, "
                       f"best share {route['best_share']}")  # fmt: skip
        for script, policy in policies.items():
            typer.echo(f"{script}: chosen on validation: threshold {policy.threshold:.4f}, "
                       f"disagree margin {policy.disagree_margin}, crowd margin {policy.crowd_margin}, "
                       f"both margin {policy.both_margin}, "
                       f"clear margin {policy.clear_margin}")  # fmt: skip


@kb_app.command("tune")
def tune_command(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(metavar="FILE", help="a bench JSON or cases YAML (folder, glob)")],
    directory: Dir = None,
    vectors: Vectors = None,
    lexical_only: Lexical = False,
) -> None:
    """Choose the abstain threshold that handles the validation cases best, and print it."""
    from kb.benchfile import load_bench, tune
    from kb.evaluate import choose_threshold, run_cases

    table = _vectors(ctx, vectors, lexical_only)
    if spec.endswith(".json"):
        bench: BenchFile = load_bench(Path(spec))
        if not bench.validation:
            typer.echo(f"{spec} has no validation rows to tune on", err=True)
            raise typer.Exit(1)
        threshold = tune(LexicalMatcher.from_knowledge_base(bench.knowledge_base(), vectors=table), bench.validation)
    else:
        threshold = choose_threshold(run_cases(_matcher(ctx, directory, table), _cases(spec)))
    typer.echo(f"{threshold:.4f}")


@kb_app.command("build-vectors")
def build_vectors_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help=f"where to write (default: {DEFAULT_FILE} in the data folder)")
    ] = None,
    dims: Annotated[int, typer.Option(help="dimensions kept by PCA")] = 256,
    tokenizer: Annotated[
        Path | None, typer.Option(help="the encoder's tokenizer.json (default: from its package)")
    ] = None,
) -> None:
    """Distil the sentence encoder into a static token table (needs the `semantic` extra)."""
    from kb.distill import build_vectors  # the build-time packages load only here

    target = out or _settings(ctx).data_dir / DEFAULT_FILE
    try:
        tokens, seconds = build_vectors(target, dims, tokenizer=tokenizer)
    except (ImportError, RuntimeError) as err:
        typer.echo(f"cannot build the vectors: {err}", err=True)
        raise typer.Exit(2) from err
    size = target.stat().st_size / 1e6
    typer.echo(f"{tokens} tokens x {dims} dims in {seconds:.1f} s: {target} ({size:.1f} MB)")


def _cases(spec: str) -> list[Case]:
    from kb.evaluate import expand_paths, load_cases

    paths = expand_paths(spec)
    if not paths:
        typer.echo(f"no cases file matches {spec}", err=True)
        raise typer.Exit(2)
    try:
        return [case for path in paths for case in load_cases(path)]
    except InvalidContent as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err


def _miss(outcome: Outcome) -> dict[str, object]:
    case = outcome.case
    return {"text": case.text, "expected": case.expected, "got": outcome.top, "score": outcome.score}


def _phrasings(kb: KnowledgeBase) -> int:
    return sum(len(entry.phrasings(lang)) for entry in kb.entries for lang in ("en", "or", "hi"))


def _print_table(title: str, figures: dict[str, Metrics]) -> None:
    """One row per script (and all together): the figures of kb/README.md."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("script", "queries", "top1", "top3", "in-scope acc", "OOS recall", "overall", "threshold",
                   "p50 ms", "p99 ms"):  # fmt: skip
        table.add_column(column, justify="left" if column == "script" else "right")
    for script, m in figures.items():
        shares = (m.top1, m.top3, m.inscope_accuracy, m.oos_recall, m.overall_accuracy)
        table.add_row(script, str(m.queries), *(f"{x:.1%}" for x in shares), f"{m.threshold:.3f}",
                      f"{m.p50_ms:.1f}", f"{m.p99_ms:.1f}")  # fmt: skip
    Console(width=120).print(table)


def _print_figures(figures: dict[str, object]) -> None:
    for name, value in figures.items():
        shown = f"{value:.1%}" if isinstance(value, float) and name != "threshold" else value
        typer.echo(f"{name:>17}: {shown}")


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[], None] | None]:
    """A progress bar on a terminal; nothing when the output goes to a file or a pipe."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
