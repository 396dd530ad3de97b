"""``init`` and ``status``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_json
from answerkey.project import Workspace, workspace_status

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the workspace commands to ``app``."""
    app.command("init")(init)
    app.command("status")(status)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    name: Annotated[str | None, typer.Option(help="Workspace name (default: the folder's name).")] = None,
) -> None:
    """Make a workspace: answerkey.toml, schema.yaml and a SQLite store in .answerkey/."""
    workspace = Workspace.init(directory, name=name)
    console.print(f"workspace ready in {workspace.root}")
    console.print(f"  store   {workspace.engine.url.render_as_string(hide_password=True)}")
    console.print(f"  schema  {workspace.config.schema_path} (edit it, then `answerkey schema check`)")
    workspace.close()


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts: items, annotators, annotations by source, schema versions, releases."""
    state: State = ctx.obj
    workspace = state.open()
    report = workspace_status(workspace)
    if as_json:
        print_json(report)
        return
    schema = report["schema"]
    console.print(f"[bold]{workspace.config.name}[/]  {report['workspace']}")
    console.print(f"schema       {schema['name']} v{schema['version']} ({schema['task']}, {schema['labels']} labels)")
    console.print(f"items        {report['items']:,} ({report['labeled_items']:,} with annotations)")
    console.print(f"annotators   {report['annotators']:,}")
    console.print(f"annotations  {report['annotations']:,}")
    for source, count in report["annotations_by_source"].items():
        console.print(f"  {source:11}{count:,}")
    versions = ", ".join(f"v{v}: {n:,}" for v, n in report["annotations_by_schema_version"].items())
    console.print(f"by version   {versions or '-'}")
    console.print(f"releases     {report['releases']} (latest: {report['latest_release'] or '-'})")
