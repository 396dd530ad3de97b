"""``answerkey demo``: build the demo workspace and say where its report is."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import console, err_console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the demo command to ``app``."""
    app.command("demo")(demo)


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path("answerkey-demo"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same workspace.")] = 7,
    items: Annotated[int, typer.Option(help="Number of support tickets.")] = 5000,
    force: Annotated[bool, typer.Option(help="Rebuild an existing demo workspace in DIRECTORY.")] = False,
) -> None:
    """Build a realistic demo workspace: 5,000 tickets, eight annotators, a schema change, two releases."""
    from answerkey.project.demo import build_demo
    from answerkey.project.status import workspace_status

    with err_console.status("building the demo workspace"):
        result = build_demo(directory, seed=seed, n_items=items, force=force)
    status = workspace_status(result.workspace)
    console.print(f"demo workspace  {result.workspace.root}")
    console.print(f"  {status['items']:,} items, {status['annotators']} annotators, "
                  f"{status['annotations']:,} annotations from {', '.join(status['annotations_by_source'])}")
    for release in result.releases:
        counts = ", ".join(f"{k} {v:,}" for k, v in release.status_counts().items())
        console.print(f"  release {release.name}  {release.content_hash[:16]}  ({counts})")
    console.print(f"report          {result.report}")
    command = "answerkey" if shutil.which("answerkey") else sys.argv[0]
    console.print(f"try             {command} --workspace {result.workspace.root} status")
