"""``schema check`` and ``schema diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_findings, print_json
from answerkey.project import check_workspace_schema, diff_schema_versions, register_schema_file

__all__ = ["register"]

schema_app = typer.Typer(help="Lint and compare labeling schema versions.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the schema commands to ``app``."""
    app.add_typer(schema_app, name="schema")


@schema_app.command("check")
def check(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="A schema file (default: the workspace's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Lint the schema: missing definitions, duplicate names, ordinal order, unknown example labels.

    Exits 1 when any finding is an error.
    """
    state: State = ctx.obj
    findings = check_workspace_schema(state.open(), file) if file is None else _check_file(file)
    if as_json:
        print_json([f.to_dict() for f in findings])
    elif findings:
        print_findings(findings)
    else:
        console.print("schema ok: no findings")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)


def _check_file(file: Path) -> list:  # type: ignore[type-arg]
    from answerkey.schema import check_schema, load_schema

    return check_schema(load_schema(file))


@schema_app.command("register")
def register_command(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="A schema file (default: the workspace's).")] = None,
) -> None:
    """Register a schema version in the store (imports register the current file on their own)."""
    state: State = ctx.obj
    schema, new = register_schema_file(state.open(), file)
    console.print(f"schema {schema.name} v{schema.version} " + ("registered" if new else "was registered already"))


@schema_app.command("diff")
def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Version number, 'current', or a schema file.")],
    new: Annotated[str, typer.Argument(help="Version number, 'current', or a schema file.")] = "current",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What changed between two schema versions: added, removed, renamed, split, merged, redefined labels."""
    state: State = ctx.obj
    result = diff_schema_versions(state.open(), old, new)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"schema v{result.old_version} -> v{result.new_version}")
    if result.is_empty:
        console.print("  no label changes")
    for name in result.added:
        console.print(f"  [green]+ added[/]      {name}")
    for name in result.removed:
        console.print(f"  [red]- removed[/]    {name}")
    for old_name, new_name in result.renamed.items():
        console.print(f"  [cyan]~ renamed[/]    {old_name} -> {new_name}")
    for old_name, news in result.split.items():
        console.print(f"  [cyan]< split[/]      {old_name} -> {', '.join(news)}")
    for new_name, olds in result.merged.items():
        console.print(f"  [cyan]> merged[/]     {', '.join(olds)} -> {new_name}")
    for name in result.redefined:
        console.print(f"  [yellow]! redefined[/]  {name}")
    if result.task_changed:
        console.print(f"  [yellow]! task[/]       {result.task_changed[0]} -> {result.task_changed[1]}")
    if result.order_changed:
        console.print("  [yellow]! order[/]      the ordinal order changed")
