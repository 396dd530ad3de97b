"""``answerkey report``: the workspace report, one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the report command to ``app``."""
    app.command("report")(report_command)


def report_command(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write it (default: report.html "
                                                "in the workspace).")] = None,
) -> None:
    """Write the report: releases, agreement, consensus, splits, leakage, analytics and production monitoring."""
    from answerkey.report import render_report

    state: State = ctx.obj
    path = render_report(state.open(), output)
    console.print(f"report {path}")
