"""``answerkey demo``: build the demo workspace, say where its report is, and how to open it in the workbench
(an admin token for "demo" is made for that); ``--serve`` serves it at once."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import console, err_console
from answerkey.cli.web_cmds import DEFAULT_HOST, DEFAULT_PORT, listen, serve_workspace, workspace_url

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the demo command to ``app``."""
    app.command("demo")(demo)


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path("answerkey-demo"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same workspace.")] = 7,
    items: Annotated[int, typer.Option(help="Number of support tickets.")] = 5000,
    force: Annotated[bool, typer.Option(help="Rebuild an existing demo workspace in DIRECTORY.")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve it on 127.0.0.1 until Ctrl+C.")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port for --serve.")] = DEFAULT_PORT,
) -> None:
    """Build a realistic demo workspace: 5,000 tickets, eight annotators, a schema change, two releases."""
    from answerkey.project.access import create_token
    from answerkey.project.demo import build_demo
    from answerkey.project.status import workspace_status

    listener = listen(DEFAULT_HOST, port) if serve else None  # a taken port fails now, not after the build
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
    _info, token = create_token(result.workspace, "demo", "admin")
    if listener is None:
        console.print(f"workbench       {command} --workspace {result.workspace.root} serve, then open "
                      f"{workspace_url(DEFAULT_HOST, port)}")
    console.print(f"token           {token}  (admin 'demo': sign in with it; it is not shown again)")
    if listener is not None:
        serve_workspace(result.workspace, listener)
