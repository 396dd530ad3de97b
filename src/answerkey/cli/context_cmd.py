"""``answerkey context``: the context layer an analytics agent is given, as files under ``context/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_findings, print_json

__all__ = ["register"]

context_app = typer.Typer(help="The context layer: tables, columns, joins, metrics, rules.", no_args_is_help=True)
import_app = typer.Typer(help="Draft context entries from a source.", no_args_is_help=True)
context_app.add_typer(import_app, name="import")

ContextOption = Annotated[Path | None, typer.Option("--context", help="The context folder (default: the "
                                                                      "workspace's context/).")]


def register(app: typer.Typer) -> None:
    """Add the context commands to ``app``."""
    app.add_typer(context_app, name="context")


def _folder(state: State, given: Path | None) -> Path:
    return given if given is not None else state.open().root / "context"


@import_app.command("warehouse")
def import_warehouse(
    ctx: typer.Context, url: Annotated[str, typer.Argument(help="duckdb:///path.duckdb or a SQLAlchemy URL.")],
    context: ContextOption = None,
) -> None:
    """Draft a table entry (status draft, columns and their uniqueness) for every table not yet described."""
    from answerkey.analytics.context_check import draft_from_warehouse
    from answerkey.analytics.warehouse import open_warehouse

    written = draft_from_warehouse(open_warehouse(url), _folder(ctx.obj, context))
    for path in written:
        console.print(f"drafted {path}")
    console.print(f"{len(written)} table(s) drafted; describe them and set their status")


@import_app.command("dbt")
def import_dbt_command(
    ctx: typer.Context,
    manifest: Annotated[Path, typer.Argument(help="dbt's target/semantic_manifest.json.")],
    context: ContextOption = None,
) -> None:
    """Semantic models, tables, join paths, metrics and the time spine from a dbt semantic manifest (what the context
    already describes or defines is kept; what cannot be mapped is listed)."""
    from answerkey.analytics.dbt import import_dbt

    written, metrics, unmapped = import_dbt(manifest, _folder(ctx.obj, context))
    for path in written:
        console.print(f"imported {path}")
    console.print(f"{len(written)} table(s) and {metrics} metric(s) imported")
    for note in unmapped:
        console.print(f"[yellow]not mapped:[/yellow] {note}", markup=True, highlight=False)


@context_app.command("check")
def check_command(
    ctx: typer.Context,
    warehouse: Annotated[str, typer.Option(help="duckdb:///path.duckdb or a SQLAlchemy URL.")],
    golden: Annotated[Path | None, typer.Option(help="The golden set whose SQL the context must cover.")] = None,
    context: ContextOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Lint the context against the warehouse and the golden SQL (exit 1 when any finding is an error)."""
    from answerkey.analytics.context import load_context
    from answerkey.analytics.context_check import check_context
    from answerkey.analytics.golden import load_golden
    from answerkey.analytics.warehouse import open_warehouse

    layer = load_context(_folder(ctx.obj, context))
    findings = check_context(layer, open_warehouse(warehouse), load_golden(golden) if golden else ())
    if as_json:
        print_json([f.to_dict() for f in findings])
    elif findings:
        print_findings(findings)
    else:
        console.print("the context layer checks out")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)


@context_app.command("export")
def export_command(
    ctx: typer.Context,
    for_agent: Annotated[bool, typer.Option("--for-agent/--all", help="What an agent is given (rules and the "
                                                                      "guides it needs), or every entry as JSON.")]
    = True,
    fmt: Annotated[str, typer.Option("--format", help="markdown or json.")] = "markdown",
    question: Annotated[str | None, typer.Option(help="Include only the guides this question's words name.")]
    = None,
    context: ContextOption = None,
) -> None:
    """Print the context as an agent receives it."""
    from answerkey.analytics.context import load_context, render_for_agent
    from answerkey.errors import ParameterError

    if fmt not in ("markdown", "json"):
        raise ParameterError.invalid("--format", "markdown or json", fmt)
    layer = load_context(_folder(ctx.obj, context))
    if not for_agent:
        print_json(layer.model_dump())
        return
    print(render_for_agent(layer, question, fmt), end="")
